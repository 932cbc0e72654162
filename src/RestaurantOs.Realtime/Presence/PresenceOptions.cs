using Microsoft.Extensions.Options;

namespace RestaurantOs.Realtime.Presence;

/// <summary>When a screen counts as gone or behind (configuration section <c>Presence</c>).</summary>
public sealed class PresenceOptions
{
    public const string SectionName = "Presence";

    /// <summary>How long a KDS station (kitchen or expo) may be disconnected before <c>station:alert</c> is raised.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A screen is behind when the restaurant's latest seq is more than this many events past its applied seq…</summary>
    public int BehindEvents { get; set; } = 25;

    /// <summary>…or when the oldest event it has not applied is older than this.</summary>
    public TimeSpan BehindAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A connected screen whose last heartbeat is older than this is checked by the timer (a screen that stopped
    /// acknowledging sends no ping that could be checked). Longer than the heartbeat (30 s) and the one-minute
    /// refresh of <see cref="StationPresence.LastSeenAt"/> together.
    /// </summary>
    public TimeSpan SilentAfter { get; set; } = TimeSpan.FromSeconds(150);

    /// <summary>
    /// Opening hours, as the app can know them: a restaurant is trading while its latest event is younger than this.
    /// A station switched off after closing raises no alert; it does when the next order arrives and it is still gone.
    /// </summary>
    public TimeSpan TradingWindow { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Start-up validation of <see cref="PresenceOptions"/>; every message names the setting to fix.</summary>
public sealed class PresenceOptionsValidator : IValidateOptions<PresenceOptions>
{
    public ValidateOptionsResult Validate(string? name, PresenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Check(failures, options.Grace, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), nameof(options.Grace));
        Check(failures, options.BehindAfter, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), nameof(options.BehindAfter));
        Check(failures, options.SilentAfter, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), nameof(options.SilentAfter));
        Check(failures, options.TradingWindow, TimeSpan.FromMinutes(1), TimeSpan.FromDays(1), nameof(options.TradingWindow));
        if (options.BehindEvents is < 1 or > 100_000)
        {
            failures.Add($"{PresenceOptions.SectionName}:{nameof(options.BehindEvents)} must be between 1 and 100000 (was {options.BehindEvents}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, TimeSpan value, TimeSpan min, TimeSpan max, string key)
    {
        if (value < min || value > max)
        {
            failures.Add($"{PresenceOptions.SectionName}:{key} must be between {min:c} and {max:c} (was {value:c}).");
        }
    }
}
