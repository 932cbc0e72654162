using System.Security.Cryptography;
using System.Text;

namespace RestaurantOs.WebPubSub.Protocol;

/// <summary>
/// The <c>ce-signature</c> of upstream (event handler) requests:
/// <c>sha256=&lt;lower-case hex HMAC-SHA256(key = UTF-8(accessKey), message = UTF-8(connectionId))&gt;</c>, one entry per
/// access key, comma-joined (e.g. <c>sha256=&lt;primary&gt;,sha256=&lt;secondary&gt;</c>).
/// </summary>
/// <remarks>Thread-safe. Validation is constant-time per comparison and compares hex case-insensitively.</remarks>
public static class UpstreamSignature
{
    private const int HexLength = 64;

    /// <summary>Computes the header value the service sends for <paramref name="connectionId"/>.</summary>
    /// <exception cref="ArgumentException">No non-empty access key was given.</exception>
    public static string Compute(string connectionId, IEnumerable<string> accessKeys)
    {
        ArgumentNullException.ThrowIfNull(connectionId);
        ArgumentNullException.ThrowIfNull(accessKeys);
        var entries = accessKeys
            .Where(key => !string.IsNullOrEmpty(key))
            .Select(key => WebPubSubConstants.Headers.CloudEvents.SignaturePrefix + ComputeHex(connectionId, key))
            .ToArray();
        if (entries.Length == 0)
        {
            throw new ArgumentException("At least one non-empty access key is required to sign upstream requests.", nameof(accessKeys));
        }

        return string.Join(',', entries);
    }

    /// <summary>
    /// True when any comma-separated entry of <paramref name="signatureHeader"/> equals (ignoring case and surrounding
    /// whitespace) <c>sha256=&lt;hex&gt;</c> computed with any of <paramref name="accessKeys"/>. False for a missing or empty
    /// header or when no key is configured. Never throws for bad input.
    /// </summary>
    public static bool Validate(string connectionId, string? signatureHeader, IEnumerable<string> accessKeys)
    {
        ArgumentNullException.ThrowIfNull(accessKeys);
        if (string.IsNullOrEmpty(connectionId) || string.IsNullOrWhiteSpace(signatureHeader))
        {
            return false;
        }

        var expected = accessKeys
            .Where(key => !string.IsNullOrEmpty(key))
            .Select(key => Encoding.ASCII.GetBytes(WebPubSubConstants.Headers.CloudEvents.SignaturePrefix + ComputeHex(connectionId, key)))
            .ToArray();
        if (expected.Length == 0)
        {
            return false;
        }

        var prefixLength = WebPubSubConstants.Headers.CloudEvents.SignaturePrefix.Length;
        var matched = false;
        foreach (var rawEntry in signatureHeader.Split(','))
        {
            var entry = rawEntry.Trim();
            if (entry.Length != prefixLength + HexLength)
            {
                continue;
            }

            // Lower-casing is a public, data-independent transform of attacker input; the secret-dependent
            // comparison below is constant time.
            var candidate = Encoding.ASCII.GetBytes(entry.ToLowerInvariant());
            foreach (var value in expected)
            {
                matched |= CryptographicOperations.FixedTimeEquals(candidate, value);
            }
        }

        return matched;
    }

    private static string ComputeHex(string connectionId, string accessKey) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(accessKey), Encoding.UTF8.GetBytes(connectionId)));
}
