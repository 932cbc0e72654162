using Microsoft.Extensions.Options;

namespace RestaurantOs.WebPubSub.Upstream;

/// <summary>
/// Upstream (event handler) checks, bound from <c>WebPubSub:Upstream</c>
/// (env <c>WebPubSub__Upstream__AllowedOrigins__0</c>, …).
/// </summary>
/// <remarks>
/// <para>Defaults: <see cref="AccessKeys"/> = the AccessKey of <c>WebPubSub:ConnectionString</c>;
/// <see cref="AllowedOrigins"/> = the host (and host:port) of the Web PubSub endpoint.</para>
/// <para>With access keys every event must carry a valid <c>ce-signature</c>. Without any (Microsoft Entra ID only),
/// signatures cannot be checked: every request must then pass the registered <see cref="IUpstreamRequestAuthenticator"/>
/// (Web PubSub's Entra ID bearer token) and carry <c>ce-awpsversion</c>; without an authenticator the codec refuses to
/// start. The Azure Functions key in <c>?code=</c> is not a credential. In both modes an unknown or missing origin is
/// rejected with 401.</para>
/// </remarks>
public sealed class WebPubSubUpstreamOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "WebPubSub:Upstream";

    /// <summary>Access keys a <c>ce-signature</c> entry may be computed with (primary and secondary during rotation).</summary>
    public IList<string> AccessKeys { get; } = [];

    /// <summary>
    /// Accepted <c>WebHook-Request-Origin</c> values: host names such as <c>x.webpubsub.azure.com</c> or
    /// <c>localhost:8080</c> (URLs are reduced to their host). <c>*</c> accepts any origin and answers
    /// <c>WebHook-Allowed-Origin: *</c>; use it only for local development.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Largest request body accepted; larger requests get 413. Client frames are at most 1 MB.</summary>
    public int MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;
}

/// <summary>Start-up validation of <see cref="WebPubSubUpstreamOptions"/>.</summary>
internal sealed class WebPubSubUpstreamOptionsValidator : IValidateOptions<WebPubSubUpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, WebPubSubUpstreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!options.AllowedOrigins.Any(origin => !string.IsNullOrWhiteSpace(origin)))
        {
            failures.Add("WebPubSub:Upstream:AllowedOrigins is empty: set WebPubSub:ConnectionString or WebPubSub:Endpoint (its host is allowed by default), or list the Web PubSub host(s) in WebPubSub:Upstream:AllowedOrigins (env WebPubSub__Upstream__AllowedOrigins__0).");
        }

        if (options.AccessKeys.Any(string.IsNullOrEmpty))
        {
            failures.Add("WebPubSub:Upstream:AccessKeys contains an empty key.");
        }

        if (options.MaxRequestBodyBytes is < 1024 or > 64 * 1024 * 1024)
        {
            failures.Add($"WebPubSub:Upstream:MaxRequestBodyBytes must be between 1024 and 67108864; got {options.MaxRequestBodyBytes}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
