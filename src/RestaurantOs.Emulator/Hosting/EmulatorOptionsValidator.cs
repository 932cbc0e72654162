using System.Text;
using Microsoft.Extensions.Options;
using RestaurantOs.Emulator.Connections;

namespace RestaurantOs.Emulator.Hosting;

/// <summary>Checks <see cref="EmulatorOptions"/> at start-up; every message names the key and where to set it.</summary>
internal sealed class EmulatorOptionsValidator : IValidateOptions<EmulatorOptions>
{
    internal static readonly string[] KnownSystemEvents = ["connect", "connected", "disconnected"];

    public ValidateOptionsResult Validate(string? name, EmulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string Where = "(appsettings.json section 'WebPubSub', environment 'WebPubSub__…', or '--WebPubSub:…=' on the command line)";

        var key = options.AccessKey ?? "";
        if (Encoding.UTF8.GetByteCount(key) < 32 || key.Contains(';', StringComparison.Ordinal) || key.Trim() != key || key.Any(char.IsControl))
        {
            errors.Add($"WebPubSub:AccessKey must be at least 32 UTF-8 bytes, without ';', control characters or surrounding whitespace {Where}.");
        }

        if (options.MaxClientMessageBytes < 1)
        {
            errors.Add($"WebPubSub:MaxClientMessageBytes must be positive (default 1048576) {Where}.");
        }

        if (options.SendQueueMaxMessages < 1 || options.SendQueueMaxBytes < 1)
        {
            errors.Add($"WebPubSub:SendQueueMaxMessages and WebPubSub:SendQueueMaxBytes must be positive {Where}.");
        }

        if (options.ReliableBufferMaxMessages < 1 || options.ReliableBufferMaxBytes < 1)
        {
            errors.Add($"WebPubSub:ReliableBufferMaxMessages and WebPubSub:ReliableBufferMaxBytes must be positive (defaults 1000 and 16777216) {Where}.");
        }

        if (options.ReliableRecoveryWindow <= TimeSpan.Zero)
        {
            errors.Add($"WebPubSub:ReliableRecoveryWindow must be positive (default 00:00:30) {Where}.");
        }

        if (options.KeepAliveInterval < TimeSpan.Zero || options.KeepAliveTimeout < TimeSpan.Zero)
        {
            errors.Add($"WebPubSub:KeepAliveInterval and WebPubSub:KeepAliveTimeout must not be negative (0 disables) {Where}.");
        }

        if (options.UpstreamTimeout <= TimeSpan.Zero)
        {
            errors.Add($"WebPubSub:UpstreamTimeout must be positive, e.g. 00:00:30 {Where}.");
        }

        foreach (var (hub, hubOptions) in options.Hubs)
        {
            if (!HubNames.IsValidHub(hub))
            {
                errors.Add($"WebPubSub:Hubs:{hub} is not a valid hub name (letter first, then letters, digits, _ ` , . [ ], at most 128 characters).");
            }

            for (var i = 0; i < hubOptions.EventHandlers.Count; i++)
            {
                var handler = hubOptions.EventHandlers[i];
                var at = $"WebPubSub:Hubs:{hub}:EventHandlers:{i}";
                var probe = (handler.UrlTemplate ?? "").Replace("{event}", "validate", StringComparison.OrdinalIgnoreCase)
                    .Replace("{hub}", "hub", StringComparison.OrdinalIgnoreCase);
                if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    errors.Add($"{at}:UrlTemplate must be an absolute http(s) URL, e.g. http://localhost:7071/runtime/webhooks/webpubsub (was '{handler.UrlTemplate}').");
                }
                else if (Uri.TryCreate(handler.UrlTemplate, UriKind.Absolute, out var raw) && raw.Host.Contains("{event}", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{at}:UrlTemplate must not use {{event}} in the host.");
                }

                foreach (var systemEvent in handler.SystemEvents)
                {
                    if (!KnownSystemEvents.Contains(systemEvent, StringComparer.OrdinalIgnoreCase))
                    {
                        errors.Add($"{at}:SystemEvents contains '{systemEvent}'; allowed: connect, connected, disconnected.");
                    }
                }
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
