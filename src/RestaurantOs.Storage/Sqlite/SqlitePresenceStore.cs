using System.Text.Json;
using Microsoft.Data.Sqlite;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Presence;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Sqlite;

/// <summary>
/// Presence entries in the <c>presence</c> table: the JSON entry plus the columns the sweep filters on. Every write is
/// one statement guarded by the stored version, so two processes on one file cannot both win.
/// </summary>
internal sealed class SqlitePresenceStore(SqliteDatabase database, TimeProvider time) : IPresenceStore
{
    private const string Columns = "document";

    public async Task<StationPresence?> GetAsync(Guid restaurantId, string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM presence WHERE restaurant_id = $restaurant AND key = $key;";
        query.Parameters.AddWithValue("$restaurant", DocumentKinds.IdText(restaurantId));
        query.Parameters.AddWithValue("$key", key);
        var found = await ReadAllAsync(query, cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    public async Task<IReadOnlyList<StationPresence>> ListAsync(Guid restaurantId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var query = connection.CreateCommand();
        query.CommandText = $"SELECT {Columns} FROM presence WHERE restaurant_id = $restaurant ORDER BY key;";
        query.Parameters.AddWithValue("$restaurant", DocumentKinds.IdText(restaurantId));
        return await ReadAllAsync(query, cancellationToken).ConfigureAwait(false);
    }

    public async Task<WriteResult<StationPresence>> WriteAsync(StationPresence entry, int? expectedVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var written = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = expectedVersion is null
                ? """
                  INSERT INTO presence (restaurant_id, key, version, status, station, alert, gone_since, last_seen_at, applied_seq, updated_at, document)
                  VALUES ($restaurant, $key, $version, $status, $station, $alert, $gone, $seen, $applied, $now, $document)
                  ON CONFLICT (restaurant_id, key) DO NOTHING;
                  """
                : """
                  UPDATE presence SET version = $version, status = $status, station = $station, alert = $alert, gone_since = $gone,
                      last_seen_at = $seen, applied_seq = $applied, updated_at = $now, document = $document
                  WHERE restaurant_id = $restaurant AND key = $key AND version = $expected;
                  """;
            Bind(command, entry);
            command.Parameters.AddWithValue("$expected", (object?)expectedVersion ?? DBNull.Value);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return written == 1 ? WriteResult.Ok(entry) : WriteResult.Conflict<StationPresence>();
    }

    public async Task<bool> DeleteAsync(Guid restaurantId, string key, int expectedVersion, CancellationToken cancellationToken)
    {
        var deleted = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM presence WHERE restaurant_id = $restaurant AND key = $key AND version = $expected;";
            command.Parameters.AddWithValue("$restaurant", DocumentKinds.IdText(restaurantId));
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$expected", expectedVersion);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return deleted == 1;
    }

    public async Task<IReadOnlyList<StationPresence>> ListDueAsync(DateTimeOffset goneBefore, DateTimeOffset silentBefore, int max, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var query = connection.CreateCommand();
        query.CommandText = $"""
            SELECT {Columns} FROM presence
            WHERE (status = 'gone' AND alert IS NULL AND station IS NOT NULL AND gone_since <= $gone)
               OR (status = 'live' AND last_seen_at <= $silent AND applied_seq IS NOT NULL)
            ORDER BY last_seen_at LIMIT $max;
            """;
        query.Parameters.AddWithValue("$gone", goneBefore.ToUnixTimeMilliseconds());
        query.Parameters.AddWithValue("$silent", silentBefore.ToUnixTimeMilliseconds());
        query.Parameters.AddWithValue("$max", max);
        return await ReadAllAsync(query, cancellationToken).ConfigureAwait(false);
    }

    public Task<int> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "DELETE FROM presence WHERE updated_at < $before;";
            command.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    private void Bind(SqliteCommand command, StationPresence entry)
    {
        command.Parameters.AddWithValue("$restaurant", DocumentKinds.IdText(entry.RestaurantId));
        command.Parameters.AddWithValue("$key", entry.Key);
        command.Parameters.AddWithValue("$version", entry.Version);
        command.Parameters.AddWithValue("$status", WireNames.Name(entry.Status));
        command.Parameters.AddWithValue("$station", (object?)entry.Station ?? DBNull.Value);
        command.Parameters.AddWithValue("$alert", entry.Alert is { } alert ? WireNames.Name(alert) : DBNull.Value);
        command.Parameters.AddWithValue("$gone", entry.GoneSince is { } gone ? gone.ToUnixTimeMilliseconds() : DBNull.Value);
        command.Parameters.AddWithValue("$seen", entry.LastSeenAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$applied", (object?)entry.AppliedSeq ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", time.GetUtcNow().ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$document", JsonSerializer.Serialize(entry, RealtimeJsonContext.Default.StationPresence));
    }

    private static async Task<List<StationPresence>> ReadAllAsync(SqliteCommand query, CancellationToken cancellationToken)
    {
        var entries = new List<StationPresence>();
        await using var reader = await query.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (JsonSerializer.Deserialize(reader.GetString(0), RealtimeJsonContext.Default.StationPresence) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }
}
