using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace RestaurantOs.Realtime.Auth;

/// <summary>
/// Validates app JWTs with <see cref="JsonWebTokenHandler"/>. Signing keys (the HS256 secret, OIDC discovery and/or
/// a JWKS URL) are cached by <see cref="ConfigurationManager{T}"/>; validation results are never cached, so an
/// expired token is rejected on its next use. Lifetime is checked against the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class AppTokenValidator : IAppTokenValidator
{
    public const string HttpClientName = "RestaurantOs.Auth.Metadata";

    /// <summary>Most order ids one customer token may grant; each becomes routing groups.</summary>
    public const int MaxOrderIds = 20;

    private const int MaxSubjectLength = 256;

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<AppTokenValidator> _logger;
    private readonly TimeSpan _clockSkew;
    private readonly string _issuer;
    private readonly string _audience;
    private readonly IReadOnlyList<string> _algorithms;
    private readonly SecurityKey[] _secretKeys;
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _oidc;
    private readonly ConfigurationManager<JsonWebKeySet>? _jwks;

    public AppTokenValidator(IOptions<AppJwtOptions> options, IHttpClientFactory httpClientFactory, TimeProvider timeProvider, ILogger<AppTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        var o = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _clockSkew = TimeSpan.FromSeconds(o.ClockSkewSeconds);
        _issuer = o.Issuer ?? throw new InvalidOperationException($"{AppJwtOptions.SectionName}:Issuer is required.");
        _audience = o.Audience ?? throw new InvalidOperationException($"{AppJwtOptions.SectionName}:Audience is required.");
        _algorithms = o.GetAllowedAlgorithms();
        // The current secret first, then earlier ones still honoured during a rotation (cached: keys, never results).
        _secretKeys = string.IsNullOrEmpty(o.SigningKey)
            ? []
            : [.. new[] { o.SigningKey }.Concat(o.PreviousSigningKeys).Select(k => new SymmetricSecurityKey(Encoding.UTF8.GetBytes(k)))];

        var retriever = new FactoryDocumentRetriever(httpClientFactory, o.RequireHttpsMetadata);
        if (!string.IsNullOrWhiteSpace(o.Authority))
        {
            var metadata = o.Authority.Contains("/.well-known/", StringComparison.Ordinal)
                ? o.Authority
                : o.Authority.TrimEnd('/') + "/.well-known/openid-configuration";
            _oidc = new ConfigurationManager<OpenIdConnectConfiguration>(metadata, new OpenIdConnectConfigurationRetriever(), retriever);
        }

        if (!string.IsNullOrWhiteSpace(o.JwksUrl))
        {
            _jwks = new ConfigurationManager<JsonWebKeySet>(o.JwksUrl, new JwksRetriever(), retriever);
        }
    }

    public async Task<TokenValidationOutcome> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return TokenValidationOutcome.Unauthorized("A token is required.");
        }

        var keys = new List<SecurityKey>();
        keys.AddRange(_secretKeys);

        try
        {
            if (_oidc is not null)
            {
                keys.AddRange((await _oidc.GetConfigurationAsync(cancellationToken).ConfigureAwait(false)).SigningKeys);
            }

            if (_jwks is not null)
            {
                keys.AddRange((await _jwks.GetConfigurationAsync(cancellationToken).ConfigureAwait(false)).GetSigningKeys());
            }
        }
        catch (InvalidOperationException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // ConfigurationManager wraps retrieval failures; a key outage is the server's fault, not the client's.
            Log.SigningKeysUnavailable(_logger, ex);
            if (keys.Count == 0)
            {
                return TokenValidationOutcome.ServerError("Signing keys are unavailable; retry later.");
            }
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = _issuer,
            ValidAudience = _audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = keys,
            ValidAlgorithms = _algorithms,
            RequireSignedTokens = true,
            // Lifetime is checked below against TimeProvider, so tests and the clock agree.
            ValidateLifetime = false,
            RequireExpirationTime = true,
        };

        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            Log.TokenRejected(_logger, "malformed", ex);
            return TokenValidationOutcome.Unauthorized("The token is malformed.");
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // Maybe the issuer rotated keys: let the next validation fetch them again.
                _oidc?.RequestRefresh();
                _jwks?.RequestRefresh();
            }

            var reason = Describe(result.Exception);
            Log.TokenRejected(_logger, reason, result.Exception);
            return TokenValidationOutcome.Unauthorized(reason);
        }

        return CheckLifetime(jwt) ?? ReadIdentity(jwt);
    }

    private TokenValidationOutcome? CheckLifetime(JsonWebToken jwt)
    {
        if (!jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _))
        {
            return Reject("The token has no expiry ('exp').");
        }

        var now = _timeProvider.GetUtcNow();
        var expires = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        if (now - _clockSkew >= expires)
        {
            return Reject("The token has expired.");
        }

        if (jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Nbf, out _) && now + _clockSkew < new DateTimeOffset(jwt.ValidFrom, TimeSpan.Zero))
        {
            return Reject("The token is not valid yet.");
        }

        return null;
    }

    private TokenValidationOutcome ReadIdentity(JsonWebToken jwt)
    {
        var subject = jwt.Subject;
        if (string.IsNullOrWhiteSpace(subject) || subject.Length > MaxSubjectLength)
        {
            return Reject("The token has no valid 'sub' claim.");
        }

        if (!jwt.TryGetPayloadValue<string>("restaurant_id", out var restaurantText)
            || !Guid.TryParse(restaurantText, out var restaurantId) || restaurantId == Guid.Empty)
        {
            return Reject("The token has no valid 'restaurant_id' claim (a UUID).");
        }

        if (!jwt.TryGetPayloadValue<string>("role", out var roleText) || !RoleNames.TryParse(roleText, out var role))
        {
            return Reject("The token has no valid 'role' claim.");
        }

        IReadOnlyList<Guid> orderIds = [];
        if (role == Role.Customer)
        {
            var parsed = ReadOrderIds(jwt);
            if (parsed is null || parsed.Count == 0)
            {
                return Reject("A customer token needs 'order_ids' (UUIDs).");
            }

            if (parsed.Count > MaxOrderIds)
            {
                return Reject($"A customer token may grant at most {MaxOrderIds} orders.");
            }

            orderIds = parsed;
        }

        var identity = new ConnectionIdentity(subject, restaurantId, role.Value, orderIds);
        return TokenValidationOutcome.Success(identity, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
    }

    /// <summary>Reads <c>order_ids</c> as a JSON array of UUID strings or one space/comma separated string; null when invalid.</summary>
    private static List<Guid>? ReadOrderIds(JsonWebToken jwt)
    {
        string[]? parts = null;
        if (jwt.TryGetPayloadValue<string[]>("order_ids", out var array) && array is not null)
        {
            parts = array;
        }
        else if (jwt.TryGetPayloadValue<string>("order_ids", out var text) && text is not null)
        {
            parts = [text];
        }

        if (parts is null)
        {
            return null;
        }

        var ids = new List<Guid>();
        foreach (var part in parts)
        {
            if (part is null)
            {
                return null;
            }

            foreach (var piece in part.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Guid.TryParse(piece, out var id) || id == Guid.Empty)
                {
                    return null;
                }

                if (!ids.Contains(id))
                {
                    ids.Add(id);
                }
            }
        }

        return ids;
    }

    private TokenValidationOutcome Reject(string reason)
    {
        Log.TokenRejected(_logger, reason, null);
        return TokenValidationOutcome.Unauthorized(reason);
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenInvalidIssuerException => "The token's issuer is not accepted.",
        SecurityTokenInvalidAudienceException => "The token's audience is not accepted.",
        SecurityTokenInvalidAlgorithmException => "The token's algorithm is not allowed.",
        SecurityTokenSignatureKeyNotFoundException => "The token's signature is invalid.",
        SecurityTokenInvalidSignatureException => "The token's signature is invalid.",
        SecurityTokenMalformedException => "The token is malformed.",
        _ => "The token was rejected.",
    };

    /// <summary>Fetches metadata through IHttpClientFactory on every refresh, so handler rotation applies.</summary>
    private sealed class FactoryDocumentRetriever(IHttpClientFactory factory, bool requireHttps) : IDocumentRetriever
    {
        public async Task<string> GetDocumentAsync(string address, CancellationToken cancel)
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (requireHttps && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"Metadata address must be an absolute https URL: {address}", nameof(address));
            }

            using var client = factory.CreateClient(HttpClientName);
            using var response = await client.GetAsync(uri, cancel).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
        }
    }

    private sealed class JwksRetriever : IConfigurationRetriever<JsonWebKeySet>
    {
        public async Task<JsonWebKeySet> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            ArgumentNullException.ThrowIfNull(retriever);
            var document = await retriever.GetDocumentAsync(address, cancel).ConfigureAwait(false);
            return new JsonWebKeySet(document);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "App token rejected: {Reason}")]
        public static partial void TokenRejected(ILogger logger, string reason, Exception? exception);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Signing keys could not be retrieved")]
        public static partial void SigningKeysUnavailable(ILogger logger, Exception exception);
    }
}
