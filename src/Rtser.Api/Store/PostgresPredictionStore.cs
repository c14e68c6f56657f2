using System.Data.Common;
using Npgsql;

namespace Rtser.Api.Store;

/// <summary>The same store on PostgreSQL, chosen by a "Host=..." connection string.</summary>
public sealed class PostgresPredictionStore(string connectionString) : SqlPredictionStore, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    // Any fixed number will do; it only has to be the same for every RTSER instance sharing the database.
    protected override string MigrationLockSql => "SELECT pg_advisory_xact_lock(7346212)";

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancel) =>
        await _source.OpenConnectionAsync(cancel);

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    public void Dispose() => _source.Dispose();
}
