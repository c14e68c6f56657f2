using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Rtser.Api.Store;

/// <summary>
/// The default store: one SQLite file in write-ahead-log mode. synchronous=FULL makes every commit reach the
/// disk before the service answers 201, so an acknowledged prediction survives a crash or power loss.
/// </summary>
public sealed class SqlitePredictionStore(string path) : SqlPredictionStore
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    public string Path { get; } = path;

    public override async Task InitializeAsync(CancellationToken cancel)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        await using (DbConnection c = await OpenAsync(cancel))
        await using (DbCommand wal = c.CreateCommand())
        {
            // journal_mode is stored in the file, so setting it once at start-up covers every later connection.
            wal.CommandText = "PRAGMA journal_mode=WAL";
            await wal.ExecuteNonQueryAsync(cancel);
        }

        await base.InitializeAsync(cancel);
    }

    /// <summary>
    /// The write-ahead log still holds the deleted rows' old pages until a checkpoint; truncating it after a
    /// delete means a deleted prediction is gone from every file, not just from queries.
    /// </summary>
    protected override async Task AfterDeleteAsync(DbConnection connection, CancellationToken cancel)
    {
        await using DbCommand checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await checkpoint.ExecuteNonQueryAsync(cancel);
    }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancel)
    {
        var c = new SqliteConnection(_connectionString);
        try
        {
            await c.OpenAsync(cancel);
            await using DbCommand sync = c.CreateCommand();
            // secure_delete overwrites deleted rows, so "delete" leaves no copy of them in the file's free pages.
            sync.CommandText = "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON";
            await sync.ExecuteNonQueryAsync(cancel);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }
}
