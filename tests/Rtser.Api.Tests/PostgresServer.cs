using System.Diagnostics;
using Npgsql;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

/// <summary>
/// A real PostgreSQL for the store tests: RTSER_POSTGRES (an Npgsql connection string) if set, otherwise a
/// throwaway cluster started by tools/postgres.sh for this test class. Each test gets its own database.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string? _folder;

    public string AdminConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        string? given = Environment.GetEnvironmentVariable("RTSER_POSTGRES");
        if (!string.IsNullOrEmpty(given))
        {
            AdminConnectionString = given;
            return;
        }

        _folder = Path.Combine(Path.GetTempPath(), "rtser-pg-" + Guid.NewGuid().ToString("N")[..8]);
        AdminConnectionString = (await RunAsync("start")).Trim();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_folder is not null)
        {
            await RunAsync("stop");
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>A new empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        string name = "rtser_" + Guid.NewGuid().ToString("N");
        await using var c = new NpgsqlConnection(AdminConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"CREATE DATABASE {name}";
        await cmd.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    private async Task<string> RunAsync(string command)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(TestPaths.RepoRoot, "tools", "postgres.sh"), command, _folder!])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"tools/postgres.sh {command} failed: {await stderr}");
        }

        return await stdout;
    }
}
