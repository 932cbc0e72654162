using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Sqlite;

/// <summary>
/// The event history in SQLite. The per-restaurant counter (<c>history_counters</c>) is bumped and the event
/// inserted in one write transaction (a batch append: all its events in one), so seqs are consecutive from 1 with no
/// holes, even with many concurrent appenders (they queue on the writer lock). The history is pruned on append: by count and by retention;
/// reads also hide events older than the retention that no append has pruned yet.
/// </summary>
internal sealed class SqliteEventHistory(
    SqliteDatabase database,
    TimeProvider timeProvider,
    IOptions<HistoryOptions> options,
    StorageMetrics metrics,
    ILogger<SqliteEventHistory> logger) : IEventHistory
{
    private const string Store = "history";
    private const string EventColumns = "seq, event_id, type, data, timestamp, scope_order_id, scope_table_number";

    private readonly TimeSpan retention = options.Value.Retention;
    private readonly int maxEvents = options.Value.MaxEventsPerRestaurant;

    public async Task<(RealtimeEvent Event, bool Appended)> AppendAsync(NewEvent newEvent, CancellationToken cancellationToken) =>
        (await AppendManyAsync([newEvent], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>All events in one write transaction: either every new event is stored, or none is.</summary>
    public async Task<IReadOnlyList<(RealtimeEvent Event, bool Appended)>> AppendManyAsync(IReadOnlyList<NewEvent> newEvents, CancellationToken cancellationToken)
    {
        var restaurantId = PortGuards.OneRestaurant(newEvents);
        if (newEvents.Count == 0)
        {
            return [];
        }

        var restaurant = DocumentKinds.IdText(restaurantId);
        var now = timeProvider.GetUtcNow();

        var (results, pruned) = await database.WriteAsync(async (connection, transaction) =>
        {
            var appended = new List<(RealtimeEvent Event, bool Appended)>(newEvents.Count);
            var lastSeq = 0L;
            foreach (var newEvent in newEvents)
            {
                // The lookup also finds an id appended earlier in this same list (same transaction).
                var existing = await FindAsync(connection, transaction, restaurant, restaurantId, newEvent.Id, cancellationToken).ConfigureAwait(false);
                if (existing is not null)
                {
                    appended.Add((existing, false));
                    continue;
                }

                var stored = await InsertAsync(connection, transaction, restaurant, newEvent, now, cancellationToken).ConfigureAwait(false);
                lastSeq = stored.Seq!.Value;
                appended.Add((stored, true));
            }

            var prunedCount = lastSeq == 0 ? 0 : await PruneAsync(connection, transaction, restaurant, lastSeq, now, cancellationToken).ConfigureAwait(false);
            return (appended, prunedCount);
        }, cancellationToken).ConfigureAwait(false);

        foreach (var (stored, appended) in results)
        {
            metrics.Operation(Store, "append", appended ? Outcomes.Ok : Outcomes.Duplicate);
            if (appended)
            {
                StorageLog.EventAppended(logger, stored.Id!, restaurantId, stored.Seq ?? 0);
            }
            else
            {
                StorageLog.EventAlreadyAppended(logger, stored.Id!, restaurantId, stored.Seq ?? 0);
            }
        }

        if (pruned > 0)
        {
            StorageLog.HistoryPruned(logger, restaurantId, pruned);
        }

        return results;
    }

    private static async Task<RealtimeEvent?> FindAsync(
        SqliteConnection connection, SqliteTransaction transaction, string restaurant, Guid restaurantId, string eventId, CancellationToken ct)
    {
        await using var existing = connection.CreateCommand();
        existing.Transaction = transaction;
        existing.CommandText = $"SELECT {EventColumns} FROM history_events WHERE restaurant_id = $restaurant_id AND event_id = $event_id;";
        existing.Parameters.AddWithValue("$restaurant_id", restaurant);
        existing.Parameters.AddWithValue("$event_id", eventId);
        await using var reader = await existing.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadEvent(reader, restaurantId) : null;
    }

    /// <summary>Bumps the restaurant's counter and inserts the event with the new seq (inside the caller's transaction).</summary>
    private static async Task<RealtimeEvent> InsertAsync(
        SqliteConnection connection, SqliteTransaction transaction, string restaurant, NewEvent newEvent, DateTimeOffset now, CancellationToken ct)
    {
        long seq;
        await using (var counter = connection.CreateCommand())
        {
            counter.Transaction = transaction;
            counter.CommandText = """
                INSERT INTO history_counters (restaurant_id, last_seq) VALUES ($restaurant_id, 1)
                ON CONFLICT (restaurant_id) DO UPDATE SET last_seq = last_seq + 1
                RETURNING last_seq;
                """;
            counter.Parameters.AddWithValue("$restaurant_id", restaurant);
            seq = (long)(await counter.ExecuteScalarAsync(ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The history counter returned no value."));
        }

        var realtimeEvent = new RealtimeEvent
        {
            Type = newEvent.Type,
            Id = newEvent.Id,
            RestaurantId = newEvent.RestaurantId,
            Seq = seq,
            Data = newEvent.Data.ValueKind == JsonValueKind.Undefined ? null : newEvent.Data.Clone(),
            Timestamp = newEvent.Timestamp,
            Scope = newEvent.Scope,
        };

        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO history_events (restaurant_id, seq, event_id, type, data, timestamp, scope_order_id, scope_table_number, appended_at)
            VALUES ($restaurant_id, $seq, $event_id, $type, $data, $timestamp, $order_id, $table_number, $appended_at);
            """;
        insert.Parameters.AddWithValue("$restaurant_id", restaurant);
        insert.Parameters.AddWithValue("$seq", seq);
        insert.Parameters.AddWithValue("$event_id", newEvent.Id);
        insert.Parameters.AddWithValue("$type", newEvent.Type);
        insert.Parameters.AddWithValue("$data", realtimeEvent.Data is { } data ? data.GetRawText() : DBNull.Value);
        insert.Parameters.AddWithValue("$timestamp", newEvent.Timestamp.ToString("O", CultureInfo.InvariantCulture));
        insert.Parameters.AddWithValue("$order_id", newEvent.Scope.OrderId is { } orderId ? DocumentKinds.IdText(orderId) : DBNull.Value);
        insert.Parameters.AddWithValue("$table_number", (object?)newEvent.Scope.TableNumber ?? DBNull.Value);
        insert.Parameters.AddWithValue("$appended_at", now.ToUnixTimeMilliseconds());
        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return realtimeEvent;
    }

    private async Task<int> PruneAsync(SqliteConnection connection, SqliteTransaction transaction, string restaurant, long lastSeq, DateTimeOffset now, CancellationToken ct)
    {
        await using var prune = connection.CreateCommand();
        prune.Transaction = transaction;
        // Two statements so each uses its own index (the primary key, and the appended_at index).
        prune.CommandText = """
            DELETE FROM history_events WHERE restaurant_id = $restaurant_id AND seq <= $oldest_kept_minus_one;
            DELETE FROM history_events WHERE restaurant_id = $restaurant_id AND appended_at < $cutoff;
            """;
        prune.Parameters.AddWithValue("$restaurant_id", restaurant);
        prune.Parameters.AddWithValue("$oldest_kept_minus_one", lastSeq - maxEvents);
        prune.Parameters.AddWithValue("$cutoff", (now - retention).ToUnixTimeMilliseconds());
        return await prune.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<HistoryPage> ReadAfterAsync(Guid restaurantId, long afterSeq, int maxEvents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        PortGuards.PageSize(maxEvents, nameof(maxEvents));
        var restaurant = DocumentKinds.IdText(restaurantId);
        var cutoff = (timeProvider.GetUtcNow() - retention).ToUnixTimeMilliseconds();

        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // One read transaction: the events, oldest and latest come from the same snapshot (WAL).
        await using var transaction = connection.BeginTransaction(deferred: true);

        long latest;
        await using (var counter = connection.CreateCommand())
        {
            counter.Transaction = transaction;
            counter.CommandText = "SELECT last_seq FROM history_counters WHERE restaurant_id = $restaurant_id;";
            counter.Parameters.AddWithValue("$restaurant_id", restaurant);
            latest = await counter.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long value ? value : 0;
        }

        // Count bound applied on read too, so the page never reaches below what the bound allows.
        var floor = Math.Max(0, latest - this.maxEvents);
        long oldest;
        await using (var min = connection.CreateCommand())
        {
            min.Transaction = transaction;
            min.CommandText = "SELECT MIN(seq) FROM history_events WHERE restaurant_id = $restaurant_id AND seq > $floor AND appended_at >= $cutoff;";
            min.Parameters.AddWithValue("$restaurant_id", restaurant);
            min.Parameters.AddWithValue("$floor", floor);
            min.Parameters.AddWithValue("$cutoff", cutoff);
            oldest = await min.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long value ? value : 0;
        }

        var events = new List<RealtimeEvent>();
        await using (var query = connection.CreateCommand())
        {
            query.Transaction = transaction;
            query.CommandText = $"""
                SELECT {EventColumns} FROM history_events
                WHERE restaurant_id = $restaurant_id AND seq > $after AND appended_at >= $cutoff
                ORDER BY seq LIMIT $max;
                """;
            query.Parameters.AddWithValue("$restaurant_id", restaurant);
            query.Parameters.AddWithValue("$after", Math.Max(afterSeq, floor));
            query.Parameters.AddWithValue("$cutoff", cutoff);
            query.Parameters.AddWithValue("$max", maxEvents);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(ReadEvent(reader, restaurantId));
            }
        }

        metrics.Operation(Store, "read", Outcomes.Ok);
        return new HistoryPage(events, oldest, latest);
    }

    private static RealtimeEvent ReadEvent(SqliteDataReader reader, Guid restaurantId)
    {
        JsonElement? data = null;
        if (!reader.IsDBNull(3))
        {
            using var document = JsonDocument.Parse(reader.GetString(3));
            data = document.RootElement.Clone();
        }

        return new RealtimeEvent
        {
            Seq = reader.GetInt64(0),
            Id = reader.GetString(1),
            Type = reader.GetString(2),
            Data = data,
            Timestamp = DateTimeOffset.Parse(reader.GetString(4), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            RestaurantId = restaurantId,
            Scope = new EventScope(
                reader.IsDBNull(5) ? null : Guid.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
                reader.IsDBNull(6) ? null : reader.GetString(6)),
        };
    }
}
