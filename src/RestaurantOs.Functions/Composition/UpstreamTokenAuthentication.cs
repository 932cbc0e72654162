using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.Functions.Composition;

/// <summary>
/// The Microsoft Entra ID token Web PubSub sends to the event handler in identity mode (section
/// <c>WebPubSub:Upstream:Token</c>, env <c>WebPubSub__Upstream__Token__Audience</c>, …). Required when the app has no
/// Web PubSub access key; unused when it has one (then <c>ce-signature</c> authenticates every request).
/// </summary>
public sealed class UpstreamTokenOptions
{
    public const string SectionName = "WebPubSub:Upstream:Token";

    /// <summary>The tenant's OIDC authority, e.g. <c>https://login.microsoftonline.com/{tenant}/v2.0</c>; signing keys come from its metadata.</summary>
    public string? Authority { get; set; }

    /// <summary>The <c>aud</c> Web PubSub requests the token for (the event handler's <c>auth.managedIdentity.resource</c>).</summary>
    public string? Audience { get; set; }

    /// <summary>Accepted <c>iss</c> values: for Entra ID both <c>https://sts.windows.net/{tenant}/</c> (v1 tokens) and the v2 authority.</summary>
    public IList<string> Issuers { get; } = [];

    /// <summary>
    /// Object ids (<c>oid</c>) of the identities allowed to call: Web PubSub's managed identity. Empty accepts any
    /// caller the tenant issues a token for this audience to, so set it in production.
    /// </summary>
    public IList<string> AllowedCallerObjectIds { get; } = [];

    /// <summary>Whether metadata must be fetched over https (off only for local tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Allowed clock difference, in seconds.</summary>
    public int ClockSkewSeconds { get; set; } = 60;
}

/// <summary>Start-up validation: in identity mode the token settings are required.</summary>
internal sealed class UpstreamTokenOptionsValidator(IOptions<WebPubSubUpstreamOptions> upstream) : IValidateOptions<UpstreamTokenOptions>
{
    private const string S = UpstreamTokenOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, UpstreamTokenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (upstream.Value.AccessKeys.Count > 0 && string.IsNullOrWhiteSpace(options.Authority) && string.IsNullOrWhiteSpace(options.Audience))
        {
            return ValidateOptionsResult.Success; // access-key mode: ce-signature authenticates requests
        }

        var failures = new List<string>();
        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || (options.RequireHttpsMetadata && authority.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{S}:Authority is required without a Web PubSub access key: the https OIDC authority of the tenant, e.g. https://login.microsoftonline.com/<tenant>/v2.0 (env WebPubSub__Upstream__Token__Authority).");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add($"{S}:Audience is required without a Web PubSub access key: the resource the event handler's managed identity requests tokens for (env WebPubSub__Upstream__Token__Audience).");
        }

        if (!options.Issuers.Any(i => !string.IsNullOrWhiteSpace(i)))
        {
            failures.Add($"{S}:Issuers needs at least one issuer, e.g. https://sts.windows.net/<tenant>/ (env WebPubSub__Upstream__Token__Issuers__0).");
        }

        if (options.ClockSkewSeconds is < 0 or > 300)
        {
            failures.Add($"{S}:ClockSkewSeconds must be between 0 and 300.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Checks <c>Authorization: Bearer</c> on upstream requests in identity mode with the project's one JWT check
/// (<see cref="SignedJwtValidator"/>: RS256 signature with the tenant's published keys, issuer, audience, lifetime),
/// then the caller's <c>oid</c> against <see cref="UpstreamTokenOptions.AllowedCallerObjectIds"/>.
/// </summary>
internal sealed partial class EntraUpstreamAuthenticator : IUpstreamRequestAuthenticator
{
    public const string HttpClientName = "RestaurantOs.Upstream.Metadata";

    private readonly SignedJwtValidator? _validator;
    private readonly HashSet<string> _allowedCallers;
    private readonly ILogger<EntraUpstreamAuthenticator> _logger;

    public EntraUpstreamAuthenticator(IOptions<UpstreamTokenOptions> options, IHttpClientFactory httpClientFactory, TimeProvider timeProvider, ILogger<EntraUpstreamAuthenticator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        _logger = logger;
        _allowedCallers = new HashSet<string>(o.AllowedCallerObjectIds.Where(id => !string.IsNullOrWhiteSpace(id)), StringComparer.OrdinalIgnoreCase);
        var issuers = o.Issuers.Where(i => !string.IsNullOrWhiteSpace(i)).ToArray();
        // With an access key the codec never asks (ce-signature decides) and the settings may be absent.
        _validator = string.IsNullOrWhiteSpace(o.Audience) || issuers.Length == 0
            ? null
            : new SignedJwtValidator(
                new SignedJwtRules
                {
                    Issuers = issuers,
                    Audiences = [o.Audience],
                    Algorithms = ["RS256"],
                    Authority = o.Authority,
                    RequireHttpsMetadata = o.RequireHttpsMetadata,
                    ClockSkew = TimeSpan.FromSeconds(o.ClockSkewSeconds),
                },
                httpClientFactory,
                HttpClientName,
                timeProvider);
    }

    public async Task<UpstreamAuthentication> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_validator is null)
        {
            return Refuse($"{UpstreamTokenOptions.SectionName} is not configured.");
        }

        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (request.Headers.Authorization.Count != 1 || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return Refuse("A bearer token from Web PubSub is required.");
        }

        var result = await _validator.ValidateAsync(header[Scheme.Length..].Trim(), cancellationToken).ConfigureAwait(false);
        if (result.ServerFault)
        {
            Log.KeysUnavailable(_logger, result.Exception);
            return UpstreamAuthentication.Unavailable(result.Error!);
        }

        if (!result.Succeeded)
        {
            return Refuse(result.Error);
        }

        if (_allowedCallers.Count > 0
            && !(result.Token.TryGetPayloadValue<string>("oid", out var caller) && caller is not null && _allowedCallers.Contains(caller)))
        {
            return Refuse("The token's caller (oid) is not the Web PubSub service's identity.");
        }

        return UpstreamAuthentication.Success;
    }

    private UpstreamAuthentication Refuse(string reason)
    {
        Log.Refused(_logger, reason);
        return UpstreamAuthentication.Refused(reason);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Upstream bearer token refused: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Signing keys for upstream bearer tokens could not be retrieved")]
        public static partial void KeysUnavailable(ILogger logger, Exception? exception);
    }
}

/// <summary>DI registration of the identity-mode upstream check.</summary>
public static class UpstreamTokenAuthenticationExtensions
{
    /// <summary>
    /// Registers <see cref="IUpstreamRequestAuthenticator"/> (the Entra ID bearer check) with
    /// <see cref="UpstreamTokenOptions"/>, validated at start-up when the app has no Web PubSub access key.
    /// </summary>
    public static IServiceCollection AddUpstreamTokenAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<UpstreamTokenOptions>()
            .Bind(configuration.GetSection(UpstreamTokenOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpstreamTokenOptions>, UpstreamTokenOptionsValidator>());
        services.AddHttpClient(EntraUpstreamAuthenticator.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IUpstreamRequestAuthenticator, EntraUpstreamAuthenticator>();
        return services;
    }
}
