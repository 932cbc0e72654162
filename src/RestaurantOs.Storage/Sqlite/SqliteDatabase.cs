using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Sqlite;

/// <summary>
/// One SQLite database file shared by every SQLite store of the process.
/// </summary>
/// <remarks>
/// Concurrency: a pooled connection per operation, WAL journal (readers never block the writer and see only
/// committed data), and an in-process async writer lock around every write transaction. SQLite allows one writer
/// at a time anyway; taking the lock in process makes concurrent writers queue asynchronously (no thread blocked
/// in SQLite's busy loop, no SQLITE_BUSY on a read-to-write upgrade), while <c>BEGIN IMMEDIATE</c> plus the busy
/// timeout still handle a second process (for example a test runner or a CLI) writing the same file.
/// </remarks>
internal sealed class SqliteDatabase : IStoreInitializer, IDisposable
{
    private readonly SemaphoreSlim writerLock = new(1, 1);
    private readonly SemaphoreSlim initLock = new(1, 1);
    private readonly ILogger<SqliteDatabase> logger;
    private readonly int busyTimeoutMs;
    private volatile bool initialized;

    public SqliteDatabase(IOptions<SqliteStoreOptions> options, IOptions<StorageOptions> storageOptions, ILogger<SqliteDatabase> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storageOptions);
        // An unknown Storage:Provider falls back to these registrations; reading the options runs their validator,
        // so a typo fails here, with the actionable message, even in a process without a host to ValidateOnStart.
        _ = storageOptions.Value;
        this.logger = logger;
        var value = options.Value;
        FullPath = Path.GetFullPath(value.Path);
        busyTimeoutMs = value.BusyTimeoutMilliseconds;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Math.Max(1, busyTimeoutMs / 1000),
        }.ToString();
    }

    public string FullPath { get; }

    public string ConnectionString { get; }

    public async Task InitializeAsync(CancellationToken ct)
    {
        if (initialized)
        {
            return;
        }

        await initLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (initialized)
            {
                return;
            }

            var folder = Path.GetDirectoryName(FullPath);
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }

            await using var connection = await OpenCoreAsync(ct).ConfigureAwait(false);
            await using (var wal = connection.CreateCommand())
            {
                // journal_mode is persistent in the file; setting it again is a no-op.
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                await wal.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await writerLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await using var transaction = connection.BeginTransaction(deferred: false);
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = SqliteSchema.Script;
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await SqliteSchema.UpgradeAsync(connection, transaction, ct).ConfigureAwait(false);
                await transaction.CommitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                writerLock.Release();
            }

            initialized = true;
            StorageLog.SqliteReady(logger, FullPath);
        }
        finally
        {
            initLock.Release();
        }
    }

    /// <summary>Opens a pooled connection for reads (schema ensured).</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        await InitializeAsync(ct).ConfigureAwait(false);
        return await OpenCoreAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction under the process-wide writer lock; commits when it
    /// returns, rolls back when it throws.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> work, CancellationToken ct)
    {
        await InitializeAsync(ct).ConfigureAwait(false);
        await writerLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenCoreAsync(ct).ConfigureAwait(false);
            // deferred: false → BEGIN IMMEDIATE: take the write lock up front, so another process makes us wait
            // (busy timeout) instead of failing later on a read-to-write upgrade.
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await work(connection, transaction).ConfigureAwait(false);
            // The commit is deliberately not cancellable: the work is done, and a half-applied cancel helps no one.
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        finally
        {
            writerLock.Release();
        }
    }

    private async Task<SqliteConnection> OpenCoreAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout={busyTimeoutMs}; PRAGMA synchronous=NORMAL;";
            await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Dispose()
    {
        // Pooled connections keep the file open; release them so a restart (or a test) can reopen or delete it.
        using (var connection = new SqliteConnection(ConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        writerLock.Dispose();
        initLock.Dispose();
    }
}

internal static class SqliteSchema
{
    /// <summary>
    /// Columns added after a table first shipped: <c>CREATE TABLE IF NOT EXISTS</c> leaves an existing file's table as
    /// it was, so a store kept between runs (DevHost's .data) gets them here.
    /// </summary>
    public static async Task UpgradeAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken ct)
    {
        await using var columns = connection.CreateCommand();
        columns.Transaction = transaction;
        columns.CommandText = "SELECT COUNT(*) FROM pragma_table_info('change_log') WHERE name = 'trace_parent';";
        if (Convert.ToInt64(await columns.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            await using var add = connection.CreateCommand();
            add.Transaction = transaction;
            add.CommandText = "ALTER TABLE change_log ADD COLUMN trace_parent TEXT NULL;";
            await add.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    // Document tables share one shape: the JSON document plus the columns stores query.
    private static string DocumentTable(string name) => $"""
        CREATE TABLE IF NOT EXISTS {name} (
            restaurant_id TEXT NOT NULL,
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NULL,
            order_id TEXT NULL,
            sort_key INTEGER NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (restaurant_id, id)
        ) WITHOUT ROWID;
        """;

    public static readonly string Script = string.Join('\n',
        DocumentTable("orders"),
        "CREATE INDEX IF NOT EXISTS ix_orders_status ON orders (restaurant_id, status, sort_key);",
        DocumentTable("tables"),
        DocumentTable("payments"),
        "CREATE INDEX IF NOT EXISTS ix_payments_order ON payments (restaurant_id, order_id, sort_key);",
        DocumentTable("notifications"),
        """
        CREATE TABLE IF NOT EXISTS change_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            restaurant_id TEXT NOT NULL,
            document_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            document TEXT NOT NULL,
            committed_at INTEGER NOT NULL,
            trace_parent TEXT NULL
        );
        -- Checkpoints before change-feed leases; moved into change_feed_leases at start, kept empty.
        CREATE TABLE IF NOT EXISTS consumer_checkpoints (
            consumer TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS change_feed_leases (
            consumer TEXT NOT NULL,
            lease_key TEXT NOT NULL,
            feed_range TEXT NULL,
            owner TEXT NULL,
            expires_at INTEGER NOT NULL,
            continuation TEXT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (consumer, lease_key)
        ) WITHOUT ROWID;
        INSERT INTO change_feed_leases (consumer, lease_key, feed_range, owner, expires_at, continuation, version)
            SELECT consumer, 'all', NULL, NULL, 0, CAST(position AS TEXT), 1 FROM consumer_checkpoints WHERE true
            ON CONFLICT (consumer, lease_key) DO NOTHING;
        DELETE FROM consumer_checkpoints;
        CREATE TABLE IF NOT EXISTS history_counters (
            restaurant_id TEXT PRIMARY KEY,
            last_seq INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS history_events (
            restaurant_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            event_id TEXT NOT NULL,
            type TEXT NOT NULL,
            data TEXT NULL,
            timestamp TEXT NOT NULL,
            scope_order_id TEXT NULL,
            scope_table_number TEXT NULL,
            appended_at INTEGER NOT NULL,
            PRIMARY KEY (restaurant_id, seq),
            UNIQUE (restaurant_id, event_id)
        );
        CREATE INDEX IF NOT EXISTS ix_history_events_appended ON history_events (restaurant_id, appended_at);
        CREATE TABLE IF NOT EXISTS presence (
            restaurant_id TEXT NOT NULL,
            key TEXT NOT NULL,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            station TEXT NULL,
            alert TEXT NULL,
            gone_since INTEGER NULL,
            last_seen_at INTEGER NOT NULL,
            applied_seq INTEGER NULL,
            updated_at INTEGER NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (restaurant_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_presence_due ON presence (status, last_seen_at);
        """);
}
