using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace RestaurantOs.WebPubSub.Protocol;

/// <summary>
/// What a validated Web PubSub access token says.
/// </summary>
/// <param name="UserId"><c>sub</c> (or the .NET name-identifier claim), or <see langword="null"/> when absent.</param>
/// <param name="Roles">Every <c>role</c> value (string or array form) plus .NET role-claim values, in token order.</param>
/// <param name="Groups">Every <c>webpubsub.group</c> value (string or array form).</param>
/// <param name="ExpiresAt">The <c>exp</c> instant.</param>
/// <param name="Claims">
/// Every claim with its values as strings (arrays flattened, numbers and booleans as their JSON text), the shape the
/// service forwards in the <c>connect</c> event's <c>claims</c> object.
/// </param>
public sealed record AccessTokenPrincipal(
    string? UserId,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Groups,
    DateTimeOffset ExpiresAt,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Claims);

/// <summary>
/// Creates and validates the HS256 JWTs Azure Web PubSub accepts: REST tokens (<c>aud</c> = the request URL) and client
/// access tokens (<c>aud</c> = <c>{http(s) endpoint}/client/hubs/{hub}</c>).
/// </summary>
/// <remarks>
/// The HMAC key is the UTF-8 bytes of the AccessKey string, not its base64 decoding (as in every official SDK).
/// Validation accepts any of several keys (key rotation), compares audiences case-insensitively (also after one
/// URL-decode), and allows <see cref="DefaultClockSkew"/> on <c>exp</c> and <c>nbf</c>. All methods are thread-safe.
/// </remarks>
public static class AccessKeyToken
{
    /// <summary>Clock skew tolerated on <c>exp</c> and <c>nbf</c>, as the service and emulator do.</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromMinutes(5);

    // {"alg":"HS256","typ":"JWT"} — fixed, so encoded once.
    private static readonly string EncodedHeader = Base64Url.EncodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"u8);

    /// <summary>Creates a signed token.</summary>
    /// <param name="accessKey">The access key; its UTF-8 bytes are the HMAC key.</param>
    /// <param name="audience">The <c>aud</c> claim: the REST request URL, or <see cref="GetClientAudience"/> for clients.</param>
    /// <param name="lifetime">Time until <c>exp</c>; must be positive.</param>
    /// <param name="now">The issue instant (<c>iat</c> and <c>nbf</c>).</param>
    /// <param name="userId">The <c>sub</c> claim, omitted when null.</param>
    /// <param name="roles">Written as a JSON array under <c>role</c> when non-empty (as the .NET SDK does).</param>
    /// <param name="groups">Written as a JSON array under <c>webpubsub.group</c> when non-empty.</param>
    /// <param name="customClaims">Extra string claims forwarded by the service to the <c>connect</c> handler; must not repeat a reserved claim.</param>
    /// <returns>The compact JWT.</returns>
    /// <exception cref="ArgumentException">An argument is empty, the lifetime is not positive, or a custom claim is reserved.</exception>
    public static string Create(
        string accessKey,
        string audience,
        TimeSpan lifetime,
        DateTimeOffset now,
        string? userId = null,
        IEnumerable<string>? roles = null,
        IEnumerable<string>? groups = null,
        IEnumerable<KeyValuePair<string, string>>? customClaims = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessKey);
        ArgumentException.ThrowIfNullOrEmpty(audience);
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetime), lifetime, "The token lifetime must be positive.");
        }

        var issuedAt = now.ToUnixTimeSeconds();
        var expires = (now + lifetime).ToUnixTimeSeconds();

        var payload = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString(WebPubSubConstants.Claims.Audience, audience);
            writer.WriteNumber(WebPubSubConstants.Claims.IssuedAt, issuedAt);
            writer.WriteNumber(WebPubSubConstants.Claims.NotBefore, issuedAt);
            writer.WriteNumber(WebPubSubConstants.Claims.Expires, expires);
            if (userId is not null)
            {
                writer.WriteString(WebPubSubConstants.Claims.Subject, userId);
            }

            WriteArrayClaim(writer, WebPubSubConstants.Claims.Role, roles);
            WriteArrayClaim(writer, WebPubSubConstants.Claims.Group, groups);
            if (customClaims is not null)
            {
                foreach (var (name, value) in customClaims)
                {
                    ArgumentException.ThrowIfNullOrEmpty(name, nameof(customClaims));
                    if (IsReserved(name))
                    {
                        throw new ArgumentException($"Custom claim '{name}' is reserved; use the dedicated parameter.", nameof(customClaims));
                    }

                    writer.WriteString(name, value);
                }
            }

            writer.WriteEndObject();
        }

        var signingInput = EncodedHeader + "." + Base64Url.EncodeToString(payload.WrittenSpan);
        return signingInput + "." + Base64Url.EncodeToString(Sign(accessKey, signingInput));
    }

    /// <summary>
    /// The <c>aud</c> of a client access token: <c>{endpoint}/client/hubs/{hub}</c> in the http(s) form of the
    /// endpoint (never ws/wss), hub appended verbatim as the SDKs do.
    /// </summary>
    public static string GetClientAudience(Uri endpoint, string hub)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrEmpty(hub);
        var scheme = endpoint.Scheme switch
        {
            "wss" => Uri.UriSchemeHttps,
            "ws" => Uri.UriSchemeHttp,
            _ => endpoint.Scheme,
        };
        var builder = new UriBuilder(endpoint) { Scheme = scheme, Query = string.Empty, Fragment = string.Empty };
        if (builder.Uri.IsDefaultPort)
        {
            builder.Port = -1;
        }

        // The hub is appended as is, exactly like the official SDKs do (valid hub names need no escaping in practice).
        return builder.Uri.AbsoluteUri.TrimEnd('/') + "/client/hubs/" + hub;
    }

    /// <summary>
    /// The two audiences a REST call's token may carry: the full request URL (what the SDKs send) and the URL without
    /// its query string (what some documentation says). A validator should accept both.
    /// </summary>
    public static IReadOnlyList<string> GetRestAudiences(Uri requestUrl)
    {
        ArgumentNullException.ThrowIfNull(requestUrl);
        if (!requestUrl.IsAbsoluteUri)
        {
            throw new ArgumentException("The request URL must be absolute.", nameof(requestUrl));
        }

        var full = requestUrl.AbsoluteUri;
        var withoutQuery = requestUrl.GetLeftPart(UriPartial.Path);
        return string.Equals(full, withoutQuery, StringComparison.Ordinal) ? [full] : [full, withoutQuery];
    }

    /// <summary>
    /// Validates a token: HS256 signature with one of <paramref name="accessKeys"/>, <c>exp</c> (required) and
    /// <c>nbf</c> within <see cref="DefaultClockSkew"/> of <paramref name="now"/>, and an <c>aud</c> value (string or
    /// array) equal to one of <paramref name="acceptedAudiences"/> ignoring case, trailing slash and one level of URL
    /// escaping. Never throws for bad tokens.
    /// </summary>
    /// <param name="error">On failure, a short reason safe to log or return (never contains key material).</param>
    public static bool TryValidate(
        string token,
        IEnumerable<string> accessKeys,
        IEnumerable<string> acceptedAudiences,
        DateTimeOffset now,
        [NotNullWhen(true)] out AccessTokenPrincipal? principal,
        [NotNullWhen(false)] out string? error)
        => TryValidate(token, accessKeys, acceptedAudiences, now, DefaultClockSkew, out principal, out error);

    /// <inheritdoc cref="TryValidate(string, IEnumerable{string}, IEnumerable{string}, DateTimeOffset, out AccessTokenPrincipal?, out string?)"/>
    public static bool TryValidate(
        string token,
        IEnumerable<string> accessKeys,
        IEnumerable<string> acceptedAudiences,
        DateTimeOffset now,
        TimeSpan clockSkew,
        [NotNullWhen(true)] out AccessTokenPrincipal? principal,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(accessKeys);
        ArgumentNullException.ThrowIfNull(acceptedAudiences);
        principal = null;

        if (string.IsNullOrEmpty(token))
        {
            error = "The access token is missing.";
            return false;
        }

        var firstDot = token.IndexOf('.', StringComparison.Ordinal);
        var secondDot = firstDot < 0 ? -1 : token.IndexOf('.', firstDot + 1);
        if (firstDot <= 0 || secondDot <= firstDot + 1 || secondDot == token.Length - 1 || token.IndexOf('.', secondDot + 1) >= 0)
        {
            error = "The access token is not a compact JWT (header.payload.signature).";
            return false;
        }

        byte[] headerBytes, payloadBytes, signature;
        try
        {
            headerBytes = Base64Url.DecodeFromChars(token.AsSpan(0, firstDot));
            payloadBytes = Base64Url.DecodeFromChars(token.AsSpan(firstDot + 1, secondDot - firstDot - 1));
            signature = Base64Url.DecodeFromChars(token.AsSpan(secondDot + 1));
        }
        catch (FormatException)
        {
            error = "The access token is not valid base64url.";
            return false;
        }

        if (!TryReadAlgorithm(headerBytes, out var algorithm) || !string.Equals(algorithm, "HS256", StringComparison.Ordinal))
        {
            error = "The access token header must declare alg HS256.";
            return false;
        }

        var signingInput = token.AsSpan(0, secondDot);
        var signatureValid = false;
        var anyKey = false;
        foreach (var key in accessKeys)
        {
            if (string.IsNullOrEmpty(key))
            {
                continue;
            }

            anyKey = true;
            // Every key is tried (no early exit) so timing does not reveal which key matched.
            signatureValid |= CryptographicOperations.FixedTimeEquals(Sign(key, signingInput), signature);
        }

        if (!anyKey)
        {
            error = "No access key is configured to validate the access token.";
            return false;
        }

        if (!signatureValid)
        {
            error = "The access token signature is invalid.";
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payloadBytes);
        }
        catch (JsonException)
        {
            error = "The access token payload is not JSON.";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The access token payload is not a JSON object.";
                return false;
            }

            if (!root.TryGetProperty(WebPubSubConstants.Claims.Expires, out var expElement) || !TryReadEpoch(expElement, out var expires))
            {
                error = "The access token has no numeric 'exp' claim.";
                return false;
            }

            if (now > expires + clockSkew)
            {
                error = "The access token has expired.";
                return false;
            }

            if (root.TryGetProperty(WebPubSubConstants.Claims.NotBefore, out var nbfElement))
            {
                if (!TryReadEpoch(nbfElement, out var notBefore))
                {
                    error = "The access token 'nbf' claim is not numeric.";
                    return false;
                }

                if (now + clockSkew < notBefore)
                {
                    error = "The access token is not valid yet (nbf).";
                    return false;
                }
            }

            if (!root.TryGetProperty(WebPubSubConstants.Claims.Audience, out var audElement))
            {
                error = "The access token has no 'aud' claim.";
                return false;
            }

            var accepted = acceptedAudiences.Select(NormalizeAudience).ToArray();
            var audienceOk = false;
            foreach (var audience in ReadStrings(audElement))
            {
                var normalized = NormalizeAudience(audience);
                if (accepted.Contains(normalized, StringComparer.OrdinalIgnoreCase))
                {
                    audienceOk = true;
                    break;
                }
            }

            if (!audienceOk)
            {
                error = "The access token audience does not match this endpoint.";
                return false;
            }

            var claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                claims[property.Name] = ReadStrings(property.Value).ToArray();
            }

            string? userId = null;
            if (claims.TryGetValue(WebPubSubConstants.Claims.Subject, out var sub) && sub.Count > 0)
            {
                userId = sub[0];
            }
            else if (claims.TryGetValue(WebPubSubConstants.Claims.NameIdentifier, out var nameId) && nameId.Count > 0)
            {
                userId = nameId[0];
            }

            var roles = new List<string>();
            AddAll(roles, claims, WebPubSubConstants.Claims.Role);
            AddAll(roles, claims, WebPubSubConstants.Claims.DotNetRole);
            var groups = new List<string>();
            AddAll(groups, claims, WebPubSubConstants.Claims.Group);

            principal = new AccessTokenPrincipal(userId, roles.Distinct(StringComparer.Ordinal).ToArray(), groups.Distinct(StringComparer.Ordinal).ToArray(), expires, claims);
            error = null;
            return true;
        }
    }

    internal static byte[] Sign(string accessKey, ReadOnlySpan<char> signingInput)
    {
        var keyBytes = Encoding.UTF8.GetBytes(accessKey);
        var inputBytes = Encoding.UTF8.GetBytes(signingInput.ToString());
        return HMACSHA256.HashData(keyBytes, inputBytes);
    }

    private static bool IsReserved(string name) =>
        name is WebPubSubConstants.Claims.Audience or WebPubSubConstants.Claims.Expires or WebPubSubConstants.Claims.IssuedAt
            or WebPubSubConstants.Claims.NotBefore or WebPubSubConstants.Claims.Subject or WebPubSubConstants.Claims.Role
            or WebPubSubConstants.Claims.Group;

    private static void WriteArrayClaim(Utf8JsonWriter writer, string name, IEnumerable<string>? values)
    {
        if (values is null)
        {
            return;
        }

        var list = values.ToList();
        if (list.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in list)
        {
            ArgumentNullException.ThrowIfNull(value, name);
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static bool TryReadAlgorithm(byte[] headerBytes, out string? algorithm)
    {
        algorithm = null;
        try
        {
            using var header = JsonDocument.Parse(headerBytes);
            if (header.RootElement.ValueKind == JsonValueKind.Object
                && header.RootElement.TryGetProperty("alg", out var alg)
                && alg.ValueKind == JsonValueKind.String)
            {
                algorithm = alg.GetString();
                return true;
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool TryReadEpoch(JsonElement element, out DateTimeOffset value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        long seconds;
        if (element.TryGetInt64(out var whole))
        {
            seconds = whole;
        }
        else if (element.TryGetDouble(out var fractional) && double.IsFinite(fractional))
        {
            seconds = (long)Math.Floor(fractional);
        }
        else
        {
            return false;
        }

        // Clamp to DateTimeOffset's range instead of throwing on absurd values.
        seconds = Math.Clamp(seconds, DateTimeOffset.MinValue.ToUnixTimeSeconds(), DateTimeOffset.MaxValue.ToUnixTimeSeconds());
        value = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }

    private static IEnumerable<string> ReadStrings(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    foreach (var inner in ReadStrings(item))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonValueKind.String:
                yield return element.GetString()!;
                break;
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                break;
            default:
                yield return element.GetRawText();
                break;
        }
    }

    private static void AddAll(List<string> target, Dictionary<string, IReadOnlyList<string>> claims, string name)
    {
        if (claims.TryGetValue(name, out var values))
        {
            target.AddRange(values);
        }
    }

    private static string NormalizeAudience(string audience)
    {
        var text = audience.Trim();
        try
        {
            text = Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            // Keep the raw text; it then simply fails to match.
        }

        return text.TrimEnd('/');
    }
}
