using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace RestaurantOs.WebPubSub.Protocol;

/// <summary>
/// A parsed Web PubSub connection string:
/// <c>Endpoint=https://&lt;name&gt;.webpubsub.azure.com;AccessKey=&lt;key&gt;;Version=1.0;[Port=&lt;port&gt;;]</c>.
/// </summary>
/// <remarks>
/// Parsing follows the official SDKs: segments split on <c>;</c> (empty ones dropped), each split on its first
/// <c>=</c>, keys and values trimmed, keys case-insensitive, a duplicate key is an error. <c>Endpoint</c> is required
/// and must be an absolute http(s) URL without query or fragment (a trailing <c>/</c> is trimmed); <c>Port</c>, when
/// present, must be 1–65535 and replaces the endpoint's port. <c>AccessKey</c> is optional: without it the caller uses
/// Microsoft Entra ID. Unknown keys are ignored. <see cref="ToString"/> never prints the access key.
/// </remarks>
/// <param name="Endpoint">The service endpoint, normalised to scheme://host[:port] plus any path, without trailing slash.</param>
/// <param name="AccessKey">The access key, or <see langword="null"/> for identity-based access.</param>
/// <param name="Version">The <c>Version</c> value (informational; "1.0" when absent).</param>
public sealed record WebPubSubConnectionString(Uri Endpoint, string? AccessKey, string Version)
{
    private const string EndpointKey = "Endpoint";
    private const string AccessKeyKey = "AccessKey";
    private const string VersionKey = "Version";
    private const string PortKey = "Port";

    /// <summary>The endpoint as a string without a trailing slash, e.g. <c>https://x.webpubsub.azure.com</c>.</summary>
    public string EndpointString => Endpoint.AbsoluteUri.TrimEnd('/');

    /// <summary>Parses a connection string.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is empty or whitespace.</exception>
    /// <exception cref="FormatException">A segment or value is invalid; the message names the key.</exception>
    public static WebPubSubConnectionString Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException("The Web PubSub connection string is empty. Expected 'Endpoint=https://<name>.webpubsub.azure.com;AccessKey=<key>;Version=1.0;'.", nameof(value));
        }

        if (!TryParseCore(value, out var result, out var error))
        {
            throw new FormatException(error);
        }

        return result;
    }

    /// <summary>Tries to parse a connection string; never throws.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out WebPubSubConnectionString? result)
    {
        result = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        return TryParseCore(value, out result, out _);
    }

    /// <summary>Tries to parse a connection string, returning an actionable error message on failure.</summary>
    public static bool TryParse(
        [NotNullWhen(true)] string? value,
        [NotNullWhen(true)] out WebPubSubConnectionString? result,
        [NotNullWhen(false)] out string? error)
    {
        result = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "The Web PubSub connection string is empty.";
            return false;
        }

        return TryParseCore(value, out result, out error);
    }

    /// <summary>Formats the connection string back (including the access key) for handing to other processes.</summary>
    public string ToConnectionString()
    {
        var builder = new StringBuilder();
        builder.Append(EndpointKey).Append('=').Append(EndpointString).Append(';');
        if (AccessKey is not null)
        {
            builder.Append(AccessKeyKey).Append('=').Append(AccessKey).Append(';');
        }

        builder.Append(VersionKey).Append('=').Append(Version).Append(';');
        return builder.ToString();
    }

    /// <summary>A description safe for logs: the access key is never included.</summary>
    public override string ToString() =>
        $"Endpoint={EndpointString};AccessKey={(AccessKey is null ? "<none>" : "***")};Version={Version}";

    private static bool TryParseCore(
        string value,
        [NotNullWhen(true)] out WebPubSubConnectionString? result,
        [NotNullWhen(false)] out string? error)
    {
        result = null;
        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var segmentNumber = 0;
        foreach (var rawSegment in value.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.IsNullOrWhiteSpace(rawSegment))
            {
                continue;
            }

            segmentNumber++;
            var equals = rawSegment.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                // The segment is not echoed: it may be a secret pasted without its key.
                error = $"Invalid Web PubSub connection string: segment {segmentNumber} has no '='; expected 'Key=Value' pairs separated by ';' (keys: Endpoint, AccessKey, Version, Port).";
                return false;
            }

            var key = rawSegment[..equals].Trim();
            var segmentValue = rawSegment[(equals + 1)..].Trim();
            if (key.Length == 0)
            {
                error = "Invalid Web PubSub connection string: a segment has an empty key before '='.";
                return false;
            }

            if (!pairs.TryAdd(key, segmentValue))
            {
                error = $"Invalid Web PubSub connection string: duplicate key '{key}'.";
                return false;
            }
        }

        if (!pairs.TryGetValue(EndpointKey, out var endpointText) || endpointText.Length == 0)
        {
            error = "Invalid Web PubSub connection string: required key 'Endpoint' is missing or empty.";
            return false;
        }

        if (!Uri.TryCreate(endpointText.TrimEnd('/'), UriKind.Absolute, out var endpoint)
            || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
        {
            error = $"Invalid Web PubSub connection string: 'Endpoint' value '{Truncate(endpointText)}' is not an absolute http:// or https:// URL.";
            return false;
        }

        if (!string.IsNullOrEmpty(endpoint.Query) || !string.IsNullOrEmpty(endpoint.Fragment) || !string.IsNullOrEmpty(endpoint.UserInfo))
        {
            error = "Invalid Web PubSub connection string: 'Endpoint' must not contain a query, fragment or user info.";
            return false;
        }

        if (pairs.TryGetValue(PortKey, out var portText))
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                error = $"Invalid Web PubSub connection string: 'Port' value '{Truncate(portText)}' is not an integer between 1 and 65535.";
                return false;
            }

            endpoint = new UriBuilder(endpoint) { Port = port }.Uri;
        }

        string? accessKey = null;
        if (pairs.TryGetValue(AccessKeyKey, out var accessKeyText))
        {
            if (accessKeyText.Length == 0)
            {
                error = "Invalid Web PubSub connection string: 'AccessKey' is present but empty. Remove it to use Microsoft Entra ID, or set the key.";
                return false;
            }

            accessKey = accessKeyText;
        }

        var version = pairs.TryGetValue(VersionKey, out var versionText) && versionText.Length > 0 ? versionText : "1.0";
        result = new WebPubSubConnectionString(endpoint, accessKey, version);
        error = null;
        return true;
    }

    // Only non-secret values (Endpoint, Port) are echoed; keep even those short.
    private static string Truncate(string text) => text.Length <= 48 ? text : string.Concat(text.AsSpan(0, 48), "…");
}
