using System.Globalization;
using Microsoft.Data.Sqlite;
using RestaurantOs.Storage.Leases;

namespace RestaurantOs.Storage.Sqlite;

/// <summary>
/// Lease rows in <c>change_feed_leases</c>; the ETag is the row's <c>version</c>, and every write is a single
/// statement guarded by it, so two processes on one database file cannot both win. The SQLite feed is one range
/// (<see cref="RangeKey"/>) whose continuation is the last change-log id confirmed.
/// </summary>
internal sealed class SqliteLeaseStore(SqliteDatabase database) : ILeaseStore
{
    public const string RangeKey = "all";

    public Task<IReadOnlyList<LeaseRange>> RangesAsync(string consumer, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LeaseRange>>([new LeaseRange(RangeKey, null, null)]);

    public async Task<IReadOnlyList<FeedLease>> ListAsync(string consumer, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var query = connection.CreateCommand();
        query.CommandText = """
            SELECT lease_key, feed_range, owner, expires_at, continuation, version
            FROM change_feed_leases WHERE consumer = $consumer ORDER BY lease_key;
            """;
        query.Parameters.AddWithValue("$consumer", consumer);
        var leases = new List<FeedLease>();
        await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            leases.Add(new FeedLease(
                consumer,
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetInt64(5).ToString(CultureInfo.InvariantCulture)));
        }

        return leases;
    }

    public async Task<FeedLease?> TryCreateAsync(FeedLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var created = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO change_feed_leases (consumer, lease_key, feed_range, owner, expires_at, continuation, version)
                VALUES ($consumer, $key, $range, $owner, $expires, $continuation, 1)
                ON CONFLICT (consumer, lease_key) DO NOTHING;
                """;
            Bind(insert, lease);
            return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return created == 1 ? lease with { ETag = "1" } : null;
    }

    public async Task<FeedLease?> TryReplaceAsync(FeedLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (!TryVersion(lease.ETag, out var version))
        {
            return null;
        }

        var replaced = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var update = connection.CreateCommand();
            update.Transaction = transaction;
            update.CommandText = """
                UPDATE change_feed_leases
                SET feed_range = $range, owner = $owner, expires_at = $expires, continuation = $continuation, version = version + 1
                WHERE consumer = $consumer AND lease_key = $key AND version = $version;
                """;
            Bind(update, lease);
            update.Parameters.AddWithValue("$version", version);
            return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return replaced == 1 ? lease with { ETag = (version + 1).ToString(CultureInfo.InvariantCulture) } : null;
    }

    public async Task<bool> TryDeleteAsync(FeedLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (!TryVersion(lease.ETag, out var version))
        {
            return false;
        }

        var deleted = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM change_feed_leases WHERE consumer = $consumer AND lease_key = $key AND version = $version;";
            delete.Parameters.AddWithValue("$consumer", lease.Consumer);
            delete.Parameters.AddWithValue("$key", lease.Key);
            delete.Parameters.AddWithValue("$version", version);
            return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return deleted == 1;
    }

    private static bool TryVersion(string? etag, out long version) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out version);

    private static void Bind(SqliteCommand command, FeedLease lease)
    {
        command.Parameters.AddWithValue("$consumer", lease.Consumer);
        command.Parameters.AddWithValue("$key", lease.Key);
        command.Parameters.AddWithValue("$range", (object?)lease.Range ?? DBNull.Value);
        command.Parameters.AddWithValue("$owner", (object?)lease.Owner ?? DBNull.Value);
        command.Parameters.AddWithValue("$expires", lease.ExpiresAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$continuation", (object?)lease.Continuation ?? DBNull.Value);
    }
}
