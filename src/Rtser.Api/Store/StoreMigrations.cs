using System.Data.Common;
using Dapper;

namespace Rtser.Api.Store;

/// <summary>
/// The store's schema, one entry per version, in the SQL that SQLite and PostgreSQL both speak. A database is
/// upgraded by running the versions it lacks, in order; a version once released is never edited, only followed.
/// </summary>
internal static class StoreMigrations
{
    public static readonly string[][] Versions =
    [
        [
            """
            CREATE TABLE predictions (
                id TEXT PRIMARY KEY,
                created_at BIGINT NOT NULL,
                file_name TEXT NULL,
                model TEXT NOT NULL,
                label TEXT NOT NULL,
                confidence DOUBLE PRECISION NOT NULL,
                duration_seconds DOUBLE PRECISION NOT NULL,
                speech_seconds DOUBLE PRECISION NOT NULL,
                processing_ms DOUBLE PRECISION NOT NULL,
                probabilities TEXT NOT NULL,
                segments TEXT NOT NULL,
                audio_path TEXT NULL)
            """,
            "CREATE INDEX ix_predictions_created_at ON predictions (created_at DESC, id DESC)",
            "CREATE INDEX ix_predictions_label ON predictions (label, created_at DESC)",
        ],
        [
            // API keys: each prediction belongs to the key (by its configured name) that made it.
            "ALTER TABLE predictions ADD COLUMN owner TEXT NULL",
            "CREATE INDEX ix_predictions_owner ON predictions (owner, created_at DESC)",
        ],
        [
            // Speaker profiles: the speaker a client named, the recording's statistics a speaker-adapted model
            // averages over that speaker's recordings (JSON array; deleted with the prediction), and how the
            // adapted model was used.
            "ALTER TABLE predictions ADD COLUMN speaker TEXT NULL",
            "ALTER TABLE predictions ADD COLUMN speaker_stats TEXT NULL",
            "ALTER TABLE predictions ADD COLUMN adaptation TEXT NULL",
            "CREATE INDEX ix_predictions_speaker ON predictions (speaker, created_at DESC)",
        ],
        [
            // Routed models: how their channel detector heard the recording (JSON; null for other models).
            "ALTER TABLE predictions ADD COLUMN channel TEXT NULL",
        ],
    ];

    public static int Latest => Versions.Length;

    /// <summary>
    /// Brings the database to <see cref="Latest"/> in one transaction, after <paramref name="lockSql"/> (if any) so
    /// two instances never migrate at once; refuses a database newer than this build rather than misread it.
    /// </summary>
    public static async Task ApplyAsync(DbConnection c, string? lockSql, CancellationToken cancel)
    {
        await using DbTransaction tx = await c.BeginTransactionAsync(cancel);
        if (lockSql is not null)
        {
            await ExecuteAsync(c, tx, lockSql, cancel);
        }

        await ExecuteAsync(c, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", cancel);
        int version = await c.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT MAX(version) FROM schema_version", transaction: tx, cancellationToken: cancel)) ?? 0;
        if (version > Latest)
        {
            throw new InvalidOperationException($"The store has schema version {version}; this build knows up to {Latest}. Run a newer RTSER.");
        }

        for (int v = version + 1; v <= Latest; v++)
        {
            foreach (string sql in Versions[v - 1])
            {
                await ExecuteAsync(c, tx, sql, cancel);
            }

            await c.ExecuteAsync(new CommandDefinition("INSERT INTO schema_version (version) VALUES (@v)", new { v }, tx, cancellationToken: cancel));
        }

        await tx.CommitAsync(cancel);
    }

    private static Task<int> ExecuteAsync(DbConnection c, DbTransaction tx, string sql, CancellationToken cancel) =>
        c.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: cancel));
}
