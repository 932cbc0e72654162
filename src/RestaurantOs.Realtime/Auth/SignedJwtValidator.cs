using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace RestaurantOs.Realtime.Auth;

/// <summary>What a <see cref="SignedJwtValidator"/> accepts.</summary>
public sealed record SignedJwtRules
{
    /// <summary>Accepted <c>iss</c> values (at least one).</summary>
    public required IReadOnlyList<string> Issuers { get; init; }

    /// <summary>Accepted <c>aud</c> values (at least one).</summary>
    public required IReadOnlyList<string> Audiences { get; init; }

    /// <summary>Accepted <c>alg</c> values; <c>none</c> is never accepted whatever this says.</summary>
    public required IReadOnlyList<string> Algorithms { get; init; }

    /// <summary>HS* secrets (UTF-8), current first.</summary>
    public IReadOnlyList<string> SecretKeys { get; init; } = [];

    /// <summary>OIDC issuer base URL or discovery document URL; signing keys come from its <c>jwks_uri</c>.</summary>
    public string? Authority { get; init; }

    /// <summary>A JWKS document URL.</summary>
    public string? JwksUrl { get; init; }

    /// <summary>Whether metadata and JWKS URLs must be https.</summary>
    public bool RequireHttpsMetadata { get; init; } = true;

    /// <summary>Allowed clock difference for <c>exp</c>/<c>nbf</c>.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>The outcome of <see cref="SignedJwtValidator.ValidateAsync"/>.</summary>
public sealed record SignedJwtResult(JsonWebToken? Token, string? Error, bool ServerFault, Exception? Exception)
{
    [MemberNotNullWhen(true, nameof(Token))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Token is not null;

    public static SignedJwtResult Success(JsonWebToken token) => new(token, null, false, null);

    public static SignedJwtResult Rejected(string error, Exception? exception = null) => new(null, error, false, exception);
}

/// <summary>
/// The one JWT check of the project: signature (HS secrets, OIDC discovery and/or a JWKS URL), algorithm allow-list,
/// issuer, audience, and lifetime against the injected <see cref="TimeProvider"/>. Keys are cached by
/// <see cref="ConfigurationManager{T}"/> and refreshed when a token names an unknown key; results are never cached.
/// Used for app tokens (<see cref="AppTokenValidator"/>) and for the Entra ID token Web PubSub sends upstream.
/// Never throws for a bad token or an unreachable key endpoint (that is <see cref="SignedJwtResult.ServerFault"/>).
/// </summary>
public sealed class SignedJwtValidator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly SignedJwtRules _rules;
    private readonly TimeProvider _timeProvider;
    private readonly SecurityKey[] _secretKeys;
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _oidc;
    private readonly ConfigurationManager<JsonWebKeySet>? _jwks;

    /// <param name="rules">What to accept.</param>
    /// <param name="httpClientFactory">Metadata is fetched with the named client <paramref name="httpClientName"/>.</param>
    /// <param name="httpClientName">The named HTTP client for metadata and JWKS.</param>
    /// <param name="timeProvider">The clock for <c>exp</c>/<c>nbf</c>.</param>
    public SignedJwtValidator(SignedJwtRules rules, IHttpClientFactory httpClientFactory, string httpClientName, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (rules.Issuers.Count == 0 || rules.Audiences.Count == 0)
        {
            throw new ArgumentException("At least one issuer and one audience are required.", nameof(rules));
        }

        _rules = rules;
        _timeProvider = timeProvider;
        _secretKeys = [.. rules.SecretKeys.Where(k => !string.IsNullOrEmpty(k)).Select(k => new SymmetricSecurityKey(Encoding.UTF8.GetBytes(k)))];

        var retriever = new FactoryDocumentRetriever(httpClientFactory, httpClientName, rules.RequireHttpsMetadata);
        if (!string.IsNullOrWhiteSpace(rules.Authority))
        {
            var metadata = rules.Authority.Contains("/.well-known/", StringComparison.Ordinal)
                ? rules.Authority
                : rules.Authority.TrimEnd('/') + "/.well-known/openid-configuration";
            _oidc = new ConfigurationManager<OpenIdConnectConfiguration>(metadata, new OpenIdConnectConfigurationRetriever(), retriever);
        }

        if (!string.IsNullOrWhiteSpace(rules.JwksUrl))
        {
            _jwks = new ConfigurationManager<JsonWebKeySet>(rules.JwksUrl, new JwksRetriever(), retriever);
        }
    }

    /// <summary>Validates <paramref name="token"/>; see the class remarks for what is checked.</summary>
    public async Task<SignedJwtResult> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return SignedJwtResult.Rejected("A token is required.");
        }

        var keys = new List<SecurityKey>(_secretKeys);
        Exception? keyFailure = null;
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
            // ConfigurationManager wraps retrieval failures; a key outage is the server's fault, not the caller's.
            keyFailure = ex;
        }

        if (keys.Count == 0)
        {
            return new SignedJwtResult(null, "Signing keys are unavailable; retry later.", true, keyFailure);
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuers = _rules.Issuers,
            ValidAudiences = _rules.Audiences,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = keys,
            ValidAlgorithms = _rules.Algorithms.Where(a => !string.Equals(a, "none", StringComparison.OrdinalIgnoreCase)).ToArray(),
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
            return SignedJwtResult.Rejected("The token is malformed.", ex);
        }

        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // Maybe the issuer rotated keys: let the next validation fetch them again.
                _oidc?.RequestRefresh();
                _jwks?.RequestRefresh();
            }

            return SignedJwtResult.Rejected(Describe(result.Exception), result.Exception);
        }

        return CheckLifetime(jwt) is { } lifetimeError ? SignedJwtResult.Rejected(lifetimeError) : SignedJwtResult.Success(jwt);
    }

    private string? CheckLifetime(JsonWebToken jwt)
    {
        if (!jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out _))
        {
            return "The token has no expiry ('exp').";
        }

        var now = _timeProvider.GetUtcNow();
        if (now - _rules.ClockSkew >= new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero))
        {
            return "The token has expired.";
        }

        if (jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Nbf, out _) && now + _rules.ClockSkew < new DateTimeOffset(jwt.ValidFrom, TimeSpan.Zero))
        {
            return "The token is not valid yet.";
        }

        return null;
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
    private sealed class FactoryDocumentRetriever(IHttpClientFactory factory, string clientName, bool requireHttps) : IDocumentRetriever
    {
        public async Task<string> GetDocumentAsync(string address, CancellationToken cancel)
        {
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (requireHttps && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"Metadata address must be an absolute https URL: {address}", nameof(address));
            }

            using var client = factory.CreateClient(clientName);
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
}
