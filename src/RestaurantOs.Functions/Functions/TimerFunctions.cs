using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Functions;

/// <summary>
/// Scheduled work. Schedules come from app settings (six-field cron with seconds), so they can change without a
/// deployment. Each timer is a safety net and a wake-up for a scaled-to-zero app: HTTP writes also pump at once.
/// </summary>
public sealed class TimerFunctions(EventPipeline events, KdsPump kds, AuthGraceSweeper authGrace, PresenceTracker presence)
{
    /// <summary>Publishes committed changes (including writes other services made straight into the store).</summary>
    [Function(nameof(ChangeFeed))]
    public Task ChangeFeed([TimerTrigger("%ChangeFeedSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        events.PumpAsync(cancellationToken);

    /// <summary>One coalesced <c>kds:update</c> per restaurant that changed since the last tick.</summary>
    [Function(nameof(KdsBatch))]
    public Task KdsBatch([TimerTrigger("%KdsSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        kds.TickAsync(cancellationToken);

    /// <summary>Closes connections that did not authenticate within the grace period.</summary>
    [Function(nameof(AuthGrace))]
    public Task AuthGrace([TimerTrigger("%AuthGraceSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        authGrace.SweepAsync(cancellationToken);

    /// <summary>Station alerts no connection event reports: a KDS gone longer than the grace, a screen that stopped acknowledging.</summary>
    [Function(nameof(Presence))]
    public Task Presence([TimerTrigger("%PresenceSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        presence.SweepAsync(cancellationToken);
}
