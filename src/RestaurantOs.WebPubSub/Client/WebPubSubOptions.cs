using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Client;

/// <summary>
/// Configuration of the Web PubSub service client, bound from the <c>WebPubSub</c> section
/// (<c>WebPubSub:ConnectionString</c> in JSON, <c>WebPubSub__ConnectionString</c> in environment variables).
/// </summary>
/// <remarks>
/// Authentication is chosen by what is set: a connection string with <c>AccessKey</c> signs every REST call with an
/// access-key JWT; <see cref="Endpoint"/> (or a connection string without <c>AccessKey</c>) uses Microsoft Entra ID —
/// <c>ManagedIdentityCredential</c> when <see cref="ManagedIdentityClientId"/> is set, otherwise
/// <c>DefaultAzureCredential</c>. Validated at start-up; every failure names the setting to fix.
/// </remarks>
public sealed partial class WebPubSubOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "WebPubSub";

    /// <summary>Name of the <c>IHttpClientFactory</c> client used for REST calls (add handlers to it with <c>AddHttpClient(HttpClientName)</c>).</summary>
    public const string HttpClientName = "RestaurantOs.WebPubSub";

    /// <summary>The Azure Functions extension's app setting, accepted when <c>WebPubSub:ConnectionString</c> is not set.</summary>
    public const string FunctionsConnectionStringSetting = "WebPubSubConnectionString";

    /// <summary><c>Endpoint=…;AccessKey=…;Version=1.0;</c>. Mutually exclusive with <see cref="Endpoint"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The service endpoint for Microsoft Entra ID access (no key). Mutually exclusive with <see cref="ConnectionString"/>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The hub every call of the client is scoped to.</summary>
    public string Hub { get; set; } = "restaurant";

    /// <summary>Client id of a user-assigned managed identity; only used for Microsoft Entra ID access.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The data-plane <c>api-version</c> sent on every call.</summary>
    public string ApiVersion { get; set; } = WebPubSubConstants.ApiVersion.Default;

    /// <summary>Retries after the first attempt for 408/429/5xx and transient network errors (0–10).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Base of the exponential backoff (attempt n waits a random time up to base·2ⁿ, at least base/2).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Upper bound of one backoff wait. A <c>Retry-After</c> longer than this is not waited for: the call fails.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of one HTTP attempt; a timed-out attempt is retried like a transient network error.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Lifetime of the access-key JWT signed for each REST call (the .NET SDK uses 5 minutes).</summary>
    public TimeSpan RestTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    // The REST spec's hub name rule.
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}$", RegexOptions.CultureInvariant)]
    internal static partial Regex HubNameRegex();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(-preview)?$", RegexOptions.CultureInvariant)]
    internal static partial Regex ApiVersionRegex();
}

/// <summary>Start-up validation of <see cref="WebPubSubOptions"/> with messages naming the setting.</summary>
internal sealed class WebPubSubOptionsValidator : IValidateOptions<WebPubSubOptions>
{
    public ValidateOptionsResult Validate(string? name, WebPubSubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);

        if (hasConnectionString && options.Endpoint is not null)
        {
            failures.Add("Set either WebPubSub:ConnectionString (env WebPubSub__ConnectionString) for access-key auth or WebPubSub:Endpoint (env WebPubSub__Endpoint) for Microsoft Entra ID, not both.");
        }
        else if (!hasConnectionString && options.Endpoint is null)
        {
            failures.Add("Web PubSub is not configured: set WebPubSub:ConnectionString (env WebPubSub__ConnectionString, e.g. 'Endpoint=https://<name>.webpubsub.azure.com;AccessKey=<key>;Version=1.0;') or WebPubSub:Endpoint (env WebPubSub__Endpoint) to use Microsoft Entra ID.");
        }
        else if (hasConnectionString && !WebPubSubConnectionString.TryParse(options.ConnectionString, out _, out var error))
        {
            failures.Add($"WebPubSub:ConnectionString (env WebPubSub__ConnectionString) is invalid: {error}");
        }
        else if (options.Endpoint is { } endpoint
            && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp)))
        {
            failures.Add($"WebPubSub:Endpoint (env WebPubSub__Endpoint) must be an absolute http(s) URL such as https://<name>.webpubsub.azure.com; got '{endpoint}'.");
        }

        if (string.IsNullOrEmpty(options.Hub) || !WebPubSubOptions.HubNameRegex().IsMatch(options.Hub))
        {
            failures.Add($"WebPubSub:Hub (env WebPubSub__Hub) '{options.Hub}' is not a valid hub name: start with a letter, then up to 127 letters, digits or _`,.[] characters.");
        }

        if (string.IsNullOrEmpty(options.ApiVersion) || !WebPubSubOptions.ApiVersionRegex().IsMatch(options.ApiVersion))
        {
            failures.Add($"WebPubSub:ApiVersion (env WebPubSub__ApiVersion) '{options.ApiVersion}' must look like {WebPubSubConstants.ApiVersion.Default}.");
        }

        if (options.MaxRetries is < 0 or > 10)
        {
            failures.Add($"WebPubSub:MaxRetries must be between 0 and 10; got {options.MaxRetries}.");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.RetryBaseDelay)
        {
            failures.Add("WebPubSub:RetryBaseDelay must be positive and not larger than WebPubSub:MaxRetryDelay.");
        }

        if (options.AttemptTimeout <= TimeSpan.Zero)
        {
            failures.Add("WebPubSub:AttemptTimeout must be positive.");
        }

        if (options.RestTokenLifetime < TimeSpan.FromMinutes(1) || options.RestTokenLifetime > TimeSpan.FromHours(1))
        {
            failures.Add("WebPubSub:RestTokenLifetime must be between 00:01:00 and 01:00:00.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
