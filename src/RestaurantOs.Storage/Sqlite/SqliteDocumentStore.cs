using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Telemetry;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Sqlite;

/// <summary>
/// The generic half of every SQLite document store: insert and versioned replace, each written in the same
/// transaction as its <c>change_log</c> row, so the change feed sees exactly the committed writes, in commit order.
/// </summary>
internal sealed class SqliteDocumentStore<T>
    where T : class
{
    private readonly SqliteDatabase database;
    private readonly DocumentType<T> type;
    private readonly TimeProvider timeProvider;
    private readonly StorageMetrics metrics;
    private readonly ILogger logger;
    private readonly string store;

    public SqliteDocumentStore(SqliteDatabase database, DocumentType<T> type, TimeProvider timeProvider, StorageMetrics metrics, ILogger logger)
    {
        this.database = database;
        this.type = type;
        this.timeProvider = timeProvider;
        this.metrics = metrics;
        this.logger = logger;
        store = type.Collection;
    }

    public async Task<WriteResult<T>> CreateAsync(T document, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(document);
        var version = type.Version(document);
        if (version != 1)
        {
            throw new ArgumentException($"A new {type.KindName} must have version 1 (was {version}).", nameof(document));
        }

        var json = Encoding.UTF8.GetString(type.Serialize(document));
        var result = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"""
                INSERT INTO {type.Collection} (restaurant_id, id, version, status, order_id, sort_key, document)
                VALUES ($restaurant_id, $id, $version, $status, $order_id, $sort_key, $document)
                ON CONFLICT (restaurant_id, id) DO NOTHING;
                """;
            AddDocumentParameters(insert, document, json);
            if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                return WriteResult.Conflict(await ReadAsync(connection, transaction, type.RestaurantId(document), type.Id(document), ct).ConfigureAwait(false));
            }

            await AppendChangeAsync(connection, transaction, document, json, ct).ConfigureAwait(false);
            return WriteResult.Ok(document);
        }, ct).ConfigureAwait(false);

        Record("create", result, document, null);
        return result;
    }

    public async Task<WriteResult<T>> ReplaceAsync(T document, int expectedVersion, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(document);
        var version = type.Version(document);
        if (version != expectedVersion + 1)
        {
            throw new ArgumentException(
                $"The replacing {type.KindName} must have version expectedVersion + 1 = {expectedVersion + 1} (was {version}).", nameof(document));
        }

        var json = Encoding.UTF8.GetString(type.Serialize(document));
        var result = await database.WriteAsync(async (connection, transaction) =>
        {
            await using var update = connection.CreateCommand();
            update.Transaction = transaction;
            // Optimistic concurrency: the row changes only if nobody committed since the caller read it.
            update.CommandText = $"""
                UPDATE {type.Collection}
                SET version = $version, status = $status, order_id = $order_id, sort_key = $sort_key, document = $document
                WHERE restaurant_id = $restaurant_id AND id = $id AND version = $expected;
                """;
            AddDocumentParameters(update, document, json);
            update.Parameters.AddWithValue("$expected", expectedVersion);
            if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                var current = await ReadAsync(connection, transaction, type.RestaurantId(document), type.Id(document), ct).ConfigureAwait(false);
                return current is null ? WriteResult.NotFound<T>() : WriteResult.Conflict(current);
            }

            await AppendChangeAsync(connection, transaction, document, json, ct).ConfigureAwait(false);
            return WriteResult.Ok(document);
        }, ct).ConfigureAwait(false);

        Record("replace", result, document, expectedVersion);
        return result;
    }

    public async Task<T?> GetAsync(Guid restaurantId, Guid id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var document = await ReadAsync(connection, null, restaurantId, id, ct).ConfigureAwait(false);
        metrics.Operation(store, "get", document is null ? Outcomes.NotFound : Outcomes.Ok);
        return document;
    }

    /// <summary>Documents of one restaurant matching an optional extra condition, by sort key then id.</summary>
    public async Task<IReadOnlyList<T>> ListAsync(
        Guid restaurantId, string? condition, Action<SqliteParameterCollection>? parameters, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await using var query = connection.CreateCommand();
        query.CommandText = $"""
            SELECT document FROM {type.Collection}
            WHERE restaurant_id = $restaurant_id {(condition is null ? string.Empty : "AND " + condition)}
            ORDER BY sort_key, id;
            """;
        query.Parameters.AddWithValue("$restaurant_id", DocumentKinds.IdText(restaurantId));
        parameters?.Invoke(query.Parameters);
        var list = new List<T>();
        await using var reader = await query.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(type.Deserialize(reader.GetString(0)));
        }

        metrics.Operation(store, "list", Outcomes.Ok);
        return list;
    }

    private async Task<T?> ReadAsync(SqliteConnection connection, SqliteTransaction? transaction, Guid restaurantId, Guid id, CancellationToken ct)
    {
        await using var query = connection.CreateCommand();
        query.Transaction = transaction;
        query.CommandText = $"SELECT document FROM {type.Collection} WHERE restaurant_id = $restaurant_id AND id = $id;";
        query.Parameters.AddWithValue("$restaurant_id", DocumentKinds.IdText(restaurantId));
        query.Parameters.AddWithValue("$id", DocumentKinds.IdText(id));
        var json = await query.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
        return json is null ? null : type.Deserialize(json);
    }

    private void AddDocumentParameters(SqliteCommand command, T document, string json)
    {
        command.Parameters.AddWithValue("$restaurant_id", DocumentKinds.IdText(type.RestaurantId(document)));
        command.Parameters.AddWithValue("$id", DocumentKinds.IdText(type.Id(document)));
        command.Parameters.AddWithValue("$version", type.Version(document));
        command.Parameters.AddWithValue("$status", (object?)type.Status(document) ?? DBNull.Value);
        var orderId = type.OrderId(document);
        command.Parameters.AddWithValue("$order_id", orderId is { } o ? DocumentKinds.IdText(o) : DBNull.Value);
        command.Parameters.AddWithValue("$sort_key", type.SortKey(document));
        command.Parameters.AddWithValue("$document", json);
    }

    private async Task AppendChangeAsync(SqliteConnection connection, SqliteTransaction transaction, T document, string json, CancellationToken ct)
    {
        await using var change = connection.CreateCommand();
        change.Transaction = transaction;
        change.CommandText = """
            INSERT INTO change_log (kind, restaurant_id, document_id, version, document, committed_at, trace_parent)
            VALUES ($kind, $restaurant_id, $document_id, $version, $document, $committed_at, $trace_parent);
            """;
        change.Parameters.AddWithValue("$kind", type.KindName);
        change.Parameters.AddWithValue("$restaurant_id", DocumentKinds.IdText(type.RestaurantId(document)));
        change.Parameters.AddWithValue("$document_id", DocumentKinds.IdText(type.Id(document)));
        change.Parameters.AddWithValue("$version", type.Version(document));
        change.Parameters.AddWithValue("$document", json);
        change.Parameters.AddWithValue("$committed_at", timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        change.Parameters.AddWithValue("$trace_parent", (object?)RealtimeTracing.CurrentTraceParent() ?? DBNull.Value);
        await change.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private void Record(string op, WriteResult<T> result, T document, int? expectedVersion)
    {
        var outcome = result.Status switch
        {
            WriteStatus.Ok => Outcomes.Ok,
            WriteStatus.Conflict => Outcomes.Conflict,
            WriteStatus.NotFound => Outcomes.NotFound,
            _ => throw new ArgumentOutOfRangeException(nameof(result), result.Status, "Unknown write status."),
        };
        metrics.Operation(store, op, outcome);
        if (result.Status == WriteStatus.Conflict)
        {
            metrics.Conflict(store, op);
            var documentId = type.Id(document);
            var restaurantId = type.RestaurantId(document);
            StorageLog.WriteConflict(logger, store, documentId, restaurantId, expectedVersion);
        }
    }
}
