using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace RestaurantOs.WebPubSub.Upstream;

/// <summary>How <see cref="ConnectionStateProtector.TryUnprotect"/> judged a protected state.</summary>
public enum StateVerification
{
    /// <summary>Missing, malformed, altered, made for another connection or hub, or made with an unknown key.</summary>
    Invalid = 0,

    /// <summary>Verified with the current key.</summary>
    Current = 1,

    /// <summary>Verified with a previous key (rotation overlap); write it back with the current key.</summary>
    Previous = 2,
}

/// <summary>
/// Makes the connection state unforgeable. Web PubSub stores the state the app returns and echoes it on every later
/// event, but anyone who can reach the event handler can send a state of their own; so the app MACs it
/// (HMAC-SHA256 with a key only the app holds) and binds the MAC to the hub and the connection id, so a state is
/// valid only where it was issued.
/// </summary>
/// <remarks>
/// Format: <c>v1.&lt;base64url payload&gt;.&lt;base64url mac&gt;</c>, where the MAC covers a purpose label, the hub
/// (lower case), the connection id and the payload bytes, each length-prefixed so no two inputs share an encoding.
/// The payload is not encrypted: it holds ids and a role, which the connection's own token already carries; the MAC
/// is what the app relies on. Thread-safe; one instance per process.
/// </remarks>
public sealed class ConnectionStateProtector
{
    private const string Prefix = "v1.";
    private static readonly byte[] Purpose = "restaurant-os/connection-state/v1"u8.ToArray();

    private readonly byte[] _current;
    private readonly byte[][] _previous;

    public ConnectionStateProtector(IOptions<ConnectionStateProtectionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        var validation = new ConnectionStateProtectionOptionsValidator().Validate(null, value);
        if (validation.Failed)
        {
            throw new OptionsValidationException(ConnectionStateProtectionOptions.SectionName, typeof(ConnectionStateProtectionOptions), validation.Failures);
        }

        ConnectionStateProtectionOptions.TryDecodeKey(value.Key, out _current);
        _previous = [.. value.PreviousKeys.Select(k => ConnectionStateProtectionOptions.TryDecodeKey(k, out var key) ? key : [])];
    }

    /// <summary>Protects <paramref name="payload"/> for one connection of one hub with the current key.</summary>
    public string Protect(string hub, string connectionId, ReadOnlySpan<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(hub);
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        ComputeMac(_current, hub, connectionId, payload, mac);
        return string.Concat(Prefix, Base64Url.EncodeToString(payload), ".", Base64Url.EncodeToString(mac));
    }

    /// <summary>
    /// Verifies a value made by <see cref="Protect"/> for this hub and connection id, with the current or a previous
    /// key, and returns its payload. Never throws for bad input; comparisons are constant-time.
    /// </summary>
    public StateVerification TryUnprotect(string hub, string connectionId, string? value, [NotNullWhen(true)] out byte[]? payload)
    {
        payload = null;
        if (string.IsNullOrEmpty(hub) || string.IsNullOrEmpty(connectionId) || value is null || !value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return StateVerification.Invalid;
        }

        var rest = value.AsSpan(Prefix.Length);
        var dot = rest.IndexOf('.');
        if (dot < 0)
        {
            return StateVerification.Invalid;
        }

        byte[] data;
        byte[] mac;
        try
        {
            data = Base64Url.DecodeFromChars(rest[..dot]);
            mac = Base64Url.DecodeFromChars(rest[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return StateVerification.Invalid;
        }

        // Base64url has more than one spelling of the same bytes (unused trailing bits); accept only ours.
        if (mac.Length != HMACSHA256.HashSizeInBytes
            || !Base64Url.EncodeToString(data).AsSpan().SequenceEqual(rest[..dot])
            || !Base64Url.EncodeToString(mac).AsSpan().SequenceEqual(rest[(dot + 1)..]))
        {
            return StateVerification.Invalid;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        ComputeMac(_current, hub, connectionId, data, expected);
        if (CryptographicOperations.FixedTimeEquals(expected, mac))
        {
            payload = data;
            return StateVerification.Current;
        }

        foreach (var key in _previous)
        {
            ComputeMac(key, hub, connectionId, data, expected);
            if (CryptographicOperations.FixedTimeEquals(expected, mac))
            {
                payload = data;
                return StateVerification.Previous;
            }
        }

        return StateVerification.Invalid;
    }

    private static void ComputeMac(byte[] key, string hub, string connectionId, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        AppendField(hmac, Purpose);
        AppendField(hmac, Encoding.UTF8.GetBytes(hub.ToLowerInvariant()));
        AppendField(hmac, Encoding.UTF8.GetBytes(connectionId));
        AppendField(hmac, payload);
        hmac.GetHashAndReset(destination);
    }

    private static void AppendField(IncrementalHash hmac, ReadOnlySpan<byte> field)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, field.Length);
        hmac.AppendData(length);
        hmac.AppendData(field);
    }
}
