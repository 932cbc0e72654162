using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Internal;
using RestaurantOs.Storage.Leases;

namespace RestaurantOs.Storage.Sqlite;

/// <summary>
/// The change feed over <c>change_log</c>. A read starts at the consumer's checkpoint (the last change-log id it
/// confirmed) and returns rows in id order, which is commit order: rows are written under the single writer lock
/// in the same transaction as their document. The continuation is the last id returned, as text (null when the
/// batch is empty). A read <c>after</c> a continuation starts at the later of it and the checkpoint.
/// </summary>
/// <remarks>
/// The feed is one range with one lease per consumer (<see cref="ChangeFeedLeaseManager"/> over
/// <see cref="SqliteLeaseStore"/>), which also holds the checkpoint: two processes on one database file never
/// read the same consumer at once, and the one that does not hold the lease reads empty batches.
/// </remarks>
internal sealed class SqliteChangeFeed(
    SqliteDatabase database,
    ChangeFeedLeaseManager leases,
    TimeProvider timeProvider,
    IOptions<HistoryOptions> historyOptions,
    StorageMetrics metrics,
    ILogger<SqliteChangeFeed> logger) : IChangeFeed
{
    private const string Store = "change_feed";

    // Change-log rows are kept at least as long as the event history, and until every consumer has passed them.
    private readonly TimeSpan retention = historyOptions.Value.Retention;

    public async Task<ChangeBatch> ReadAsync(string consumer, int maxChanges, string? after, CancellationToken cancellationToken)
    {
        PortGuards.Consumer(consumer);
        PortGuards.PageSize(maxChanges, nameof(maxChanges));
        var ahead = after is null ? 0 : ParsePosition(after);

        var held = await leases.AcquireAsync(consumer, cancellationToken).ConfigureAwait(false);
        if (held.Count == 0)
        {
            metrics.Operation(Store, "read", "lease_held");
            return new ChangeBatch([], null);
        }

        // Ahead of the checkpoint when the caller read on before confirming; never behind it.
        var position = Math.Max(held[0].Continuation is { } stored ? ParsePosition(stored) : 0, ahead);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var changes = new List<StoreChange>();
        await using (var query = connection.CreateCommand())
        {
            query.CommandText = """
                SELECT id, kind, restaurant_id, document_id, version, document, committed_at, trace_parent
                FROM change_log WHERE id > $position ORDER BY id LIMIT $max;
                """;
            query.Parameters.AddWithValue("$position", position);
            query.Parameters.AddWithValue("$max", maxChanges);
            await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                position = reader.GetInt64(0);
                if (!DocumentKinds.TryParse(reader.GetString(1), out var kind))
                {
                    throw new InvalidDataException($"change_log row {position} has an unknown kind '{reader.GetString(1)}'.");
                }

                var documentId = reader.GetString(3);
                using var document = JsonDocument.Parse(reader.GetString(5));
                changes.Add(new StoreChange(
                    DocumentKinds.ChangeId(kind, documentId, reader.GetInt64(4)),
                    kind,
                    Guid.Parse(reader.GetString(2), CultureInfo.InvariantCulture),
                    documentId,
                    document.RootElement.Clone(),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
                    reader.IsDBNull(7) ? null : reader.GetString(7)));
            }
        }

        metrics.Operation(Store, "read", Outcomes.Ok);
        StorageLog.ChangesRead(logger, consumer, changes.Count);
        // Nothing new: no continuation, so a polling caller has nothing to checkpoint (no write per idle poll).
        return new ChangeBatch(changes, changes.Count == 0 ? null : position.ToString(CultureInfo.InvariantCulture));
    }

    public async Task CheckpointAsync(string consumer, string? continuation, CancellationToken cancellationToken)
    {
        PortGuards.Consumer(consumer);
        if (continuation is null)
        {
            return;
        }

        var position = ParsePosition(continuation);
        // Never move a checkpoint backwards: a late checkpoint from a slow caller must not replay a batch that a
        // newer one already confirmed. Written only while this instance holds the lease.
        if (!await leases.CheckpointAsync(
                consumer, SqliteLeaseStore.RangeKey, stored => stored is null || ParsePosition(stored) < position ? continuation : null, cancellationToken).ConfigureAwait(false))
        {
            metrics.Operation(Store, "checkpoint", "lease_lost");
            return;
        }

        var now = timeProvider.GetUtcNow();
        await database.WriteAsync(async (connection, transaction) =>
        {
            await using var prune = connection.CreateCommand();
            prune.Transaction = transaction;
            // Rows are in commit order, so the expired ones are the start of the log: stop at the first row still
            // inside the retention. Both bounds are found through the primary key; the statement touches only the
            // rows it deletes, however long the log is (it runs at every checkpoint).
            prune.CommandText = """
                DELETE FROM change_log
                WHERE id <= MIN(
                    (SELECT MIN(CAST(continuation AS INTEGER)) FROM change_feed_leases WHERE lease_key = $key AND continuation IS NOT NULL),
                    COALESCE((SELECT id FROM change_log WHERE committed_at >= $cutoff ORDER BY id LIMIT 1) - 1, 9223372036854775807));
                """;
            prune.Parameters.AddWithValue("$key", SqliteLeaseStore.RangeKey);
            prune.Parameters.AddWithValue("$cutoff", (now - retention).ToUnixTimeMilliseconds());
            return await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        metrics.Operation(Store, "checkpoint", Outcomes.Ok);
        StorageLog.Checkpointed(logger, consumer, continuation);
    }

    private static long ParsePosition(string continuation) =>
        long.TryParse(continuation, NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            ? position
            : throw new ArgumentException($"'{continuation}' is not a continuation returned by this change feed.", nameof(continuation));
}
