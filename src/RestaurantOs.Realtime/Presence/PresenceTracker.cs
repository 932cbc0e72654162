using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Connections;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Realtime.Presence;

/// <summary>
/// Which screens of a restaurant are live, behind or gone, from the connection lifecycle (joined when a connection
/// is authenticated, left when it disconnects), the heartbeat's <c>applied_seq</c>, and a timer for what no event
/// reports (a station that stays away, a screen that stopped acknowledging). Every change is a version-guarded write
/// to <see cref="IPresenceStore"/>, and only the writer that won publishes its events, so with any number of
/// instances an alert is raised once and cleared once. Presence is advisory: a store failure is logged and never
/// fails the connection event that caused it.
/// </summary>
public sealed partial class PresenceTracker(
    IPresenceStore store,
    IEventHistory history,
    IEventPublisher publisher,
    IOptions<PresenceOptions> options,
    RealtimeMetrics metrics,
    TimeProvider time,
    ILogger<PresenceTracker> logger)
{
    /// <summary>A heartbeat that changes nothing else refreshes <see cref="StationPresence.LastSeenAt"/> at most this often.</summary>
    public static readonly TimeSpan LastSeenRefresh = TimeSpan.FromMinutes(1);

    /// <summary>How long an entry is kept after its last write (Cosmos DB's container TTL is the same).</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    private const int MaxAttempts = 4;
    private const int SweepBatch = 500;

    private PresenceOptions Options => options.Value;

    /// <summary>The store key of a screen: its station name, or its connection when it has none.</summary>
    public static string KeyFor(string connectionId, string? station) => station is null ? "c." + connectionId : "s." + station;

    /// <summary>Screens of KDS roles are the ones whose absence raises an alert.</summary>
    public static bool IsKdsRole(Role role) => role is Role.Kitchen or Role.Expo;

    /// <summary>A connection was authenticated (at connect, or by its first <c>auth</c> message).</summary>
    public Task JoinedAsync(string connectionId, ConnectionState state, string? transport, CancellationToken cancellationToken)
    {
        if (!state.TryGetIdentity(out var who) || who.Role == Role.Customer)
        {
            return Task.CompletedTask; // guests' phones are not screens of the restaurant
        }

        var now = time.GetUtcNow();
        return ChangeAsync(who.RestaurantId, KeyFor(connectionId, state.Station), current =>
            current is not null && current.ConnectionId == connectionId && current.Status != PresenceStatus.Gone
                ? (current, []) // joined already: Web PubSub retried the event, or a heartbeat came first
                : Join(current, connectionId, state, who, transport, now), cancellationToken);
    }

    /// <summary>A new entry for the connection (a returning station keeps its last applied seq), clearing its alert.</summary>
    private static (StationPresence? Next, IReadOnlyList<RealtimeEvent> Events) Join(
        StationPresence? current, string connectionId, ConnectionState state, ConnectionIdentity who, string? transport, DateTimeOffset now)
    {
        var next = new StationPresence
        {
            RestaurantId = who.RestaurantId,
            Key = KeyFor(connectionId, state.Station),
            Station = state.Station,
            Device = state.Device,
            Role = who.Role,
            UserId = who.UserId,
            ConnectionId = connectionId,
            Transport = string.IsNullOrEmpty(transport) ? "websocket" : transport,
            ConnectedSince = now,
            LastSeenAt = now,
            // A returning station resumes from where it was; until it reports, that is the best guess.
            AppliedSeq = current?.AppliedSeq,
            AppliedAt = current?.AppliedAt,
            LatestSeq = current?.LatestSeq,
            Status = PresenceStatus.Live,
            Version = (current?.Version ?? 0) + 1,
        };
        var events = new List<RealtimeEvent>(2);
        if (current?.Alert is { } alert)
        {
            events.Add(Alert(alert, StationAlertState.Cleared, next, now));
        }

        events.Add(Updated(PresenceChange.Joined, next, now));
        return (next, events);
    }

    /// <summary>A connection disconnected. Only the connection a station is on now can take it away.</summary>
    public Task LeftAsync(string connectionId, ConnectionState state, CancellationToken cancellationToken)
    {
        if (!state.TryGetIdentity(out var who) || who.Role == Role.Customer)
        {
            return Task.CompletedTask;
        }

        var now = time.GetUtcNow();
        return ChangeAsync(who.RestaurantId, KeyFor(connectionId, state.Station), current =>
        {
            if (current is null || current.ConnectionId != connectionId || current.Status == PresenceStatus.Gone)
            {
                return (current, []); // the station is on a newer connection already, or was never recorded
            }

            var gone = current with
            {
                Status = PresenceStatus.Gone,
                GoneSince = now,
                Alert = current.Alert == StationAlertKind.Behind ? null : current.Alert,
                AlertSince = current.Alert == StationAlertKind.Behind ? null : current.AlertSince,
                Version = current.Version + 1,
            };
            var events = new List<RealtimeEvent>(2);
            if (current.Alert == StationAlertKind.Behind)
            {
                // Gone is a different story from behind; the gone alert, if any, follows after the grace.
                events.Add(Alert(StationAlertKind.Behind, StationAlertState.Cleared, gone, now));
            }

            events.Add(Updated(PresenceChange.Left, gone, now));
            // An unnamed connection cannot be missed: it leaves the list. A named station stays, gone.
            return (current.Station is null ? null : gone, events);
        }, cancellationToken);
    }

    /// <summary>
    /// A heartbeat (<c>ping</c>) of a named station, with the seq the screen says it applied when it reports one. It
    /// costs one point read; the lag and a write follow only when something is due: the first report, a station that
    /// is behind (to clear it at once), one that has to be taken over, or a minute since the entry was last written.
    /// Unnamed screens' heartbeats are not tracked (a screen that should be watched names its station).
    /// </summary>
    public async Task HeartbeatAsync(string connectionId, ConnectionState state, long? appliedSeq, CancellationToken cancellationToken)
    {
        if (!state.TryGetIdentity(out var who) || who.Role == Role.Customer || state.Station is null)
        {
            return;
        }

        try
        {
            var now = time.GetUtcNow();
            var seen = await store.GetAsync(who.RestaurantId, KeyFor(connectionId, state.Station), cancellationToken).ConfigureAwait(false);
            var due = seen is null
                || seen.ConnectionId != connectionId
                || seen.Status == PresenceStatus.Behind
                || (seen.AppliedSeq is null && appliedSeq is not null)
                || now - seen.LastSeenAt >= LastSeenRefresh;
            if (!due)
            {
                return;
            }

            Lag? lag = appliedSeq is { } applied ? await LagAsync(who.RestaurantId, applied, now, cancellationToken).ConfigureAwait(false) : null;
            await ChangeAsync(who.RestaurantId, KeyFor(connectionId, state.Station), seen, current =>
            {
                if (current is null)
                {
                    // Web PubSub sends `connected` without waiting for it, so a first ping can arrive before it.
                    var (joined, events) = Join(null, connectionId, state, who, transport: null, now);
                    var reported = joined! with { AppliedSeq = appliedSeq, AppliedAt = appliedSeq is null ? null : now, LatestSeq = lag?.LatestSeq };
                    var (judged, alerts) = Judge(reported, reported, lag, now, heartbeat: false);
                    return ((judged ?? reported) with { Version = 1 }, [.. events, .. alerts]);
                }

                if (current.ConnectionId != connectionId)
                {
                    // Two screens named alike: the newest connection holds the station. When it has left, another one
                    // that still beats is the station now (a second tab, or the old socket of a quick reconnect).
                    return current.Status == PresenceStatus.Gone && current.Station is not null
                        ? Join(current, connectionId, state, who, transport: current.Transport, now)
                        : (current, []);
                }

                if (current.Status == PresenceStatus.Gone)
                {
                    return (current, []); // its disconnect was handled: a late ping changes nothing
                }

                var next = current with
                {
                    LastSeenAt = now,
                    AppliedSeq = appliedSeq ?? current.AppliedSeq,
                    AppliedAt = appliedSeq is not null && appliedSeq != current.AppliedSeq ? now : current.AppliedAt,
                    LatestSeq = lag?.LatestSeq ?? current.LatestSeq,
                };
                return Judge(current, next, lag, now, heartbeat: true);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Failed(logger, ex, "heartbeat", who.RestaurantId);
        }
    }

    /// <summary>The restaurant's screens, named stations first.</summary>
    public async Task<PresenceList> ListAsync(Guid restaurantId, CancellationToken cancellationToken)
    {
        var entries = await store.ListAsync(restaurantId, cancellationToken).ConfigureAwait(false);
        var latest = await LatestSeqAsync(restaurantId, cancellationToken).ConfigureAwait(false);
        var ordered = entries
            .OrderBy(e => e.Station is null)
            .ThenBy(e => e.Station ?? e.ConnectionId, StringComparer.Ordinal)
            .ToList();
        return new PresenceList(ordered, latest);
    }

    /// <summary>
    /// The timer's work: raises <c>gone</c> for KDS stations away longer than the grace while their restaurant trades,
    /// and <c>behind</c> for screens that stopped acknowledging while events waited for them. Returns the alerts raised.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = await store.ListDueAsync(now - Options.Grace, now - Options.SilentAfter, SweepBatch, cancellationToken).ConfigureAwait(false);
        var raised = 0;
        var trading = new Dictionary<Guid, bool>();
        foreach (var entry in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (entry.Status == PresenceStatus.Gone)
                {
                    if (!IsKdsRole(entry.Role))
                    {
                        continue;
                    }

                    if (!trading.TryGetValue(entry.RestaurantId, out var open))
                    {
                        trading[entry.RestaurantId] = open = await IsTradingAsync(entry.RestaurantId, now, cancellationToken).ConfigureAwait(false);
                    }

                    if (open && await RaiseGoneAsync(entry, now, cancellationToken).ConfigureAwait(false))
                    {
                        raised++;
                    }
                }
                else if (entry.AppliedSeq is { } applied)
                {
                    var lag = await LagAsync(entry.RestaurantId, applied, now, cancellationToken).ConfigureAwait(false);
                    if (lag.Behind && await RaiseBehindAsync(entry, lag, now, cancellationToken).ConfigureAwait(false))
                    {
                        raised++;
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.Failed(logger, ex, "sweep", entry.RestaurantId);
            }
        }

        var purged = await store.PurgeAsync(now - Retention, cancellationToken).ConfigureAwait(false);
        if (raised > 0 || purged > 0)
        {
            Log.Swept(logger, due.Count, raised, purged);
        }

        return raised;
    }

    private Task<bool> RaiseGoneAsync(StationPresence seen, DateTimeOffset now, CancellationToken cancellationToken) =>
        ChangeOnceAsync(seen, current =>
        {
            if (current.Status != PresenceStatus.Gone || current.Alert is not null || current.ConnectionId != seen.ConnectionId)
            {
                return (current, []); // back, or alerted by another instance
            }

            var alerted = current with { Alert = StationAlertKind.Gone, AlertSince = now, Version = current.Version + 1 };
            return (alerted, [Alert(StationAlertKind.Gone, StationAlertState.Raised, alerted, now)]);
        }, cancellationToken);

    private Task<bool> RaiseBehindAsync(StationPresence seen, Lag lag, DateTimeOffset now, CancellationToken cancellationToken) =>
        ChangeOnceAsync(seen, current =>
        {
            if (current.Status != PresenceStatus.Live || current.ConnectionId != seen.ConnectionId || current.AppliedSeq != seen.AppliedSeq)
            {
                return (current, []); // it reported since, or is gone: the next heartbeat or sweep judges again
            }

            return Judge(current, current with { LatestSeq = lag.LatestSeq }, lag, now, heartbeat: false);
        }, cancellationToken);

    /// <summary>
    /// The next state of a connected screen given its lag: behind (alert raised) or caught up (alert cleared). Otherwise
    /// a heartbeat is written for the first report, for a behind screen's progress, and once a minute to refresh
    /// <see cref="StationPresence.LastSeenAt"/>; the store is not written at the heartbeat's rate.
    /// </summary>
    private static (StationPresence? Next, IReadOnlyList<RealtimeEvent> Events) Judge(StationPresence current, StationPresence next, Lag? lag, DateTimeOffset now, bool heartbeat)
    {
        var behind = lag?.Behind ?? current.Status == PresenceStatus.Behind;
        if (behind && current.Status == PresenceStatus.Live)
        {
            next = next with { Status = PresenceStatus.Behind, Alert = StationAlertKind.Behind, AlertSince = now, Version = current.Version + 1 };
            return (next, [Alert(StationAlertKind.Behind, StationAlertState.Raised, next, now), Updated(PresenceChange.Behind, next, now)]);
        }

        if (!behind && current.Status == PresenceStatus.Behind)
        {
            next = next with { Status = PresenceStatus.Live, Alert = null, AlertSince = null, Version = current.Version + 1 };
            return (next, [Alert(StationAlertKind.Behind, StationAlertState.Cleared, next, now), Updated(PresenceChange.CaughtUp, next, now)]);
        }

        var firstReport = current.AppliedSeq is null && next.AppliedSeq is not null;
        var progress = current.Status == PresenceStatus.Behind && next.AppliedSeq != current.AppliedSeq;
        if (heartbeat && (firstReport || progress || now - current.LastSeenAt >= LastSeenRefresh))
        {
            return (next with { Version = current.Version + 1 }, []);
        }

        return (current, []);
    }

    private async Task<Lag> LagAsync(Guid restaurantId, long appliedSeq, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var page = await history.ReadAfterAsync(restaurantId, appliedSeq, 1, cancellationToken).ConfigureAwait(false);
        var oldestUnapplied = page.Events.Count > 0 ? page.Events[0].Timestamp : (DateTimeOffset?)null;
        var behind = page.LatestSeq - appliedSeq > Options.BehindEvents
            || (oldestUnapplied is { } oldest && now - oldest > Options.BehindAfter);
        return new Lag(page.LatestSeq, behind);
    }

    /// <summary>The restaurant's latest seq (0 for none), from a history read that asks for no events.</summary>
    private async Task<long> LatestSeqAsync(Guid restaurantId, CancellationToken cancellationToken) =>
        (await history.ReadAfterAsync(restaurantId, long.MaxValue - 1, 1, cancellationToken).ConfigureAwait(false)).LatestSeq;

    private async Task<bool> IsTradingAsync(Guid restaurantId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var latest = await LatestSeqAsync(restaurantId, cancellationToken).ConfigureAwait(false);
        if (latest == 0)
        {
            return false;
        }

        var page = await history.ReadAfterAsync(restaurantId, latest - 1, 1, cancellationToken).ConfigureAwait(false);
        return page.Events.Count > 0 && now - page.Events[0].Timestamp <= Options.TradingWindow;
    }

    /// <summary>Read, decide, write with the version read, publish what the winning write says; retried on a conflict.</summary>
    private Task ChangeAsync(
        Guid restaurantId, string key, Func<StationPresence?, (StationPresence? Next, IReadOnlyList<RealtimeEvent> Events)> decide, CancellationToken cancellationToken) =>
        ChangeAsync(restaurantId, key, new Optional(false, null), decide, cancellationToken);

    /// <param name="read">The entry as the caller just read it: the first attempt decides on it instead of reading again.</param>
    private async Task ChangeAsync(
        Guid restaurantId, string key, Optional read, Func<StationPresence?, (StationPresence? Next, IReadOnlyList<RealtimeEvent> Events)> decide, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                var current = attempt == 1 && read.HasValue ? read.Value : await store.GetAsync(restaurantId, key, cancellationToken).ConfigureAwait(false);
                if (await TryApplyAsync(restaurantId, key, current, decide(current), cancellationToken).ConfigureAwait(false) is not null)
                {
                    return;
                }
            }

            Log.GaveUp(logger, restaurantId, key);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.Failed(logger, ex, "update", restaurantId);
        }
    }

    /// <summary>One attempt from what a sweep read: a conflict means someone else changed the entry, and they decided.</summary>
    private async Task<bool> ChangeOnceAsync(
        StationPresence seen, Func<StationPresence, (StationPresence? Next, IReadOnlyList<RealtimeEvent> Events)> decide, CancellationToken cancellationToken)
    {
        var decision = decide(seen);
        return decision.Events.Count > 0
            && await TryApplyAsync(seen.RestaurantId, seen.Key, seen, decision, cancellationToken).ConfigureAwait(false) == true;
    }

    /// <returns>True when written and published, false when there was nothing to do, null on a conflict.</returns>
    private async Task<bool?> TryApplyAsync(
        Guid restaurantId, string key, StationPresence? current, (StationPresence? Next, IReadOnlyList<RealtimeEvent> Events) decision, CancellationToken cancellationToken)
    {
        var (next, events) = decision;
        if (ReferenceEquals(next, current))
        {
            return false;
        }

        if (next is null)
        {
            if (!await store.DeleteAsync(restaurantId, key, current!.Version, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
        else if ((await store.WriteAsync(next, current?.Version, cancellationToken).ConfigureAwait(false)).Status != WriteStatus.Ok)
        {
            return null;
        }

        foreach (var message in events)
        {
            // The write is the truth; a publish that fails leaves the panel to catch up from GET /api/presence.
            try
            {
                await publisher.PublishAsync(message, cancellationToken).ConfigureAwait(false);
                metrics.EventPublished(message.Type, 0);
                if (message.Type == EventTypes.StationAlert && message.Data is { } data)
                {
                    var alert = data.GetProperty("alert").GetString()!;
                    var state = data.GetProperty("state").GetString()!;
                    metrics.StationAlert(alert, state);
                    Log.Alert(logger, alert, state, restaurantId, key);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.PublishFailed(logger, ex, message.Type, restaurantId);
            }
        }

        return true;
    }

    private static RealtimeEvent Alert(StationAlertKind kind, StationAlertState state, StationPresence station, DateTimeOffset now)
    {
        var data = new StationAlertData(kind, state, station);
        return Event(EventTypes.StationAlert, station.RestaurantId, JsonSerializer.SerializeToElement(data, RealtimeJsonContext.Default.StationAlertData), now);
    }

    private static RealtimeEvent Updated(PresenceChange change, StationPresence station, DateTimeOffset now) =>
        Event(EventTypes.PresenceUpdated, station.RestaurantId, JsonSerializer.SerializeToElement(new PresenceUpdatedData(change, station), RealtimeJsonContext.Default.PresenceUpdatedData), now);

    private static RealtimeEvent Event(string type, Guid restaurantId, JsonElement data, DateTimeOffset now) => new()
    {
        Type = type,
        Id = $"{type}:{Guid.NewGuid():N}",
        RestaurantId = restaurantId,
        Data = data,
        Timestamp = now,
    };

    private readonly record struct Lag(long LatestSeq, bool Behind);

    /// <summary>An entry read already (<see cref="HasValue"/>, possibly null: not found), or nothing read yet.</summary>
    private readonly record struct Optional(bool HasValue, StationPresence? Value)
    {
        public static implicit operator Optional(StationPresence? read) => new(true, read);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Presence {Operation} of restaurant {RestaurantId} failed; presence may be stale until the next heartbeat.")]
        public static partial void Failed(ILogger logger, Exception exception, string operation, Guid restaurantId);

        [LoggerMessage(2, LogLevel.Warning, "Presence entry {Key} of restaurant {RestaurantId} kept changing under us; this update was dropped.")]
        public static partial void GaveUp(ILogger logger, Guid restaurantId, string key);

        [LoggerMessage(3, LogLevel.Warning, "Could not publish {EventType} for restaurant {RestaurantId}.")]
        public static partial void PublishFailed(ILogger logger, Exception exception, string eventType, Guid restaurantId);

        [LoggerMessage(4, LogLevel.Warning, "Station alert {Alert} {AlertState} for restaurant {RestaurantId}, screen {Key}.")]
        public static partial void Alert(ILogger logger, string alert, string alertState, Guid restaurantId, string key);

        [LoggerMessage(5, LogLevel.Debug, "Presence sweep: {Due} entries due, {Raised} alerts raised, {Purged} expired entries deleted.")]
        public static partial void Swept(ILogger logger, int due, int raised, int purged);
    }
}
