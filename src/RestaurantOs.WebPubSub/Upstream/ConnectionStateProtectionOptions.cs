using Microsoft.Extensions.Options;

namespace RestaurantOs.WebPubSub.Upstream;

/// <summary>
/// Keys that authenticate the connection state the app hands to Web PubSub (section <c>ConnectionStateProtection</c>,
/// env <c>ConnectionStateProtection__Key</c>, <c>ConnectionStateProtection__PreviousKeys__0</c>). Each key is the
/// base64 of at least 32 random bytes (e.g. <c>openssl rand -base64 32</c>); keep it in Key Vault or an app setting.
/// </summary>
/// <remarks>
/// Rotation works like <c>Auth:PreviousSigningKeys</c>: put the new key in <see cref="Key"/> and the old one in
/// <see cref="PreviousKeys"/>. States protected with a previous key are still accepted and are re-protected with the
/// current key on the connection's next message; remove the previous key when the overlap window has passed.
/// A connection whose state no key verifies is refused and closed, and reconnects with a fresh state.
/// </remarks>
public sealed class ConnectionStateProtectionOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "ConnectionStateProtection";

    /// <summary>Smallest key accepted, in bytes (the HMAC-SHA256 output size).</summary>
    public const int MinKeyBytes = 32;

    /// <summary>Required: the current key (base64) that protects every state the app writes.</summary>
    public string? Key { get; set; }

    /// <summary>Earlier keys (base64) still accepted while states written with them are in use.</summary>
    public string[] PreviousKeys { get; set; } = [];

    /// <summary>Decodes a configured key: base64 of at least <see cref="MinKeyBytes"/> bytes.</summary>
    public static bool TryDecodeKey(string? value, out byte[] key)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var buffer = new byte[value.Length];
        if (!Convert.TryFromBase64String(value.Trim(), buffer, out var written) || written < ConnectionStateProtectionOptions.MinKeyBytes)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }
}

/// <summary>Start-up validation of <see cref="ConnectionStateProtectionOptions"/>; every message names the setting.</summary>
internal sealed class ConnectionStateProtectionOptionsValidator : IValidateOptions<ConnectionStateProtectionOptions>
{
    private const string S = ConnectionStateProtectionOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, ConnectionStateProtectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Key))
        {
            failures.Add($"{S}:Key is required: the base64 of at least {ConnectionStateProtectionOptions.MinKeyBytes} random bytes (openssl rand -base64 32), from Key Vault or an app setting (env {S}__Key). Without it the connection state, which holds the caller's identity, could be forged.");
        }
        else if (!ConnectionStateProtectionOptions.TryDecodeKey(options.Key, out _))
        {
            failures.Add($"{S}:Key must be base64 of at least {ConnectionStateProtectionOptions.MinKeyBytes} bytes.");
        }

        for (var i = 0; i < options.PreviousKeys.Length; i++)
        {
            if (!ConnectionStateProtectionOptions.TryDecodeKey(options.PreviousKeys[i], out _))
            {
                failures.Add($"{S}:PreviousKeys:{i} must be base64 of at least {ConnectionStateProtectionOptions.MinKeyBytes} bytes.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
