using System.Text;
using Microsoft.Extensions.Options;

namespace RestaurantOs.Realtime.Auth;

/// <summary>
/// How app JWTs are validated (configuration section <c>Auth</c>). At least one key source is required:
/// <see cref="SigningKey"/> (HS256 shared secret, e.g. Supabase or development), <see cref="Authority"/> (OIDC
/// discovery) or <see cref="JwksUrl"/>.
/// </summary>
public sealed class AppJwtOptions
{
    public const string SectionName = "Auth";

    /// <summary>The algorithms used when <see cref="AllowedAlgorithms"/> is empty.</summary>
    public static readonly IReadOnlyList<string> DefaultAlgorithms = ["HS256", "RS256", "ES256"];

    private static readonly HashSet<string> SymmetricAlgorithms = new(["HS256", "HS384", "HS512"], StringComparer.Ordinal);

    private static readonly HashSet<string> KnownAlgorithms = new(
        ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"],
        StringComparer.Ordinal);

    /// <summary>Required: the <c>iss</c> every token must carry.</summary>
    public string? Issuer { get; set; }

    /// <summary>Required: the <c>aud</c> every token must carry.</summary>
    public string? Audience { get; set; }

    /// <summary>HS256 shared secret (UTF-8, at least 32 bytes).</summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Earlier HS256 secrets still accepted while tokens signed with them live out their lifetime, so a secret can
    /// be rotated with overlap. Remove them once the longest token lifetime has passed since the rotation.
    /// </summary>
    public string[] PreviousSigningKeys { get; set; } = [];

    /// <summary>OIDC issuer base URL; keys come from <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string? Authority { get; set; }

    /// <summary>A JWKS document URL, for issuers without OIDC discovery.</summary>
    public string? JwksUrl { get; set; }

    /// <summary>Whether metadata and JWKS URLs must be https (turn off only for local development and tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Allowed difference between our clock and the issuer's, for <c>nbf</c>/<c>exp</c>.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>
    /// Accepted <c>alg</c> values; empty means <see cref="DefaultAlgorithms"/>. <c>none</c> is never accepted.
    /// (An empty default avoids the configuration binder appending configured values to a non-empty default.)
    /// </summary>
    public string[] AllowedAlgorithms { get; set; } = [];

    /// <summary>Seconds an unauthenticated connection may stay open before it is closed with 1008.</summary>
    public int AuthGraceSeconds { get; set; } = 10;

    /// <summary>The algorithm allow-list in effect.</summary>
    public IReadOnlyList<string> GetAllowedAlgorithms() => AllowedAlgorithms is { Length: > 0 } ? AllowedAlgorithms : DefaultAlgorithms;

    internal static bool IsSymmetric(string algorithm) => SymmetricAlgorithms.Contains(algorithm);

    internal static bool IsKnown(string algorithm) => KnownAlgorithms.Contains(algorithm);
}

/// <summary>Start-up validation of <see cref="AppJwtOptions"/>; every message names the setting to fix.</summary>
internal sealed class AppJwtOptionsValidator : IValidateOptions<AppJwtOptions>
{
    public const int MinSigningKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, AppJwtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string S = AppJwtOptions.SectionName;
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add($"{S}:Issuer is required: set it to the 'iss' your identity provider puts in app tokens.");
        }

        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add($"{S}:Audience is required: set it to the 'aud' of app tokens (Supabase uses 'authenticated').");
        }

        var hasSecret = !string.IsNullOrEmpty(options.SigningKey);
        if (!hasSecret && string.IsNullOrWhiteSpace(options.Authority) && string.IsNullOrWhiteSpace(options.JwksUrl))
        {
            failures.Add($"No signing key source: set {S}:SigningKey (HS256 secret), {S}:Authority (OIDC issuer URL) or {S}:JwksUrl.");
        }

        if (hasSecret && Encoding.UTF8.GetByteCount(options.SigningKey!) < MinSigningKeyBytes)
        {
            failures.Add($"{S}:SigningKey must be at least {MinSigningKeyBytes} bytes (UTF-8) for HS256.");
        }

        for (var i = 0; i < options.PreviousSigningKeys.Length; i++)
        {
            if (Encoding.UTF8.GetByteCount(options.PreviousSigningKeys[i] ?? string.Empty) < MinSigningKeyBytes)
            {
                failures.Add($"{S}:PreviousSigningKeys:{i} must be at least {MinSigningKeyBytes} bytes (UTF-8) for HS256.");
            }
        }

        if (options.PreviousSigningKeys.Length > 0 && !hasSecret)
        {
            failures.Add($"{S}:PreviousSigningKeys is set without {S}:SigningKey: set the current secret too.");
        }

        CheckUrl(options.Authority, $"{S}:Authority", options.RequireHttpsMetadata, failures);
        CheckUrl(options.JwksUrl, $"{S}:JwksUrl", options.RequireHttpsMetadata, failures);

        if (options.ClockSkewSeconds is < 0 or > 300)
        {
            failures.Add($"{S}:ClockSkewSeconds must be between 0 and 300 (default 30).");
        }

        if (options.AuthGraceSeconds is < 1 or > 300)
        {
            failures.Add($"{S}:AuthGraceSeconds must be between 1 and 300 (default 10).");
        }

        var algorithms = options.GetAllowedAlgorithms();
        foreach (var algorithm in algorithms)
        {
            if (!AppJwtOptions.IsKnown(algorithm))
            {
                failures.Add($"{S}:AllowedAlgorithms contains '{algorithm}'; allowed values are HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512 ('none' is never accepted).");
            }
        }

        if (hasSecret && !algorithms.Any(AppJwtOptions.IsSymmetric))
        {
            failures.Add($"{S}:SigningKey is set but {S}:AllowedAlgorithms has no HS algorithm; add HS256 or remove the key.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckUrl(string? value, string setting, bool requireHttps, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{setting} must be an absolute http(s) URL.");
        }
        else if (requireHttps && uri.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{setting} must use https (or set {AppJwtOptions.SectionName}:RequireHttpsMetadata to false for local development).");
        }
    }
}
