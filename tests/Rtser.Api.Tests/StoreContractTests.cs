using Rtser.Api.Predictions;
using Rtser.Api.Store;
using Rtser.Inference;

namespace Rtser.Api.Tests;

/// <summary>What every store must do; each engine runs the same tests through a subclass.</summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    protected abstract IPredictionStore Store { get; }

    public virtual Task InitializeAsync() => Store.InitializeAsync(CancellationToken.None);

    public virtual Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_prediction_reads_back_exactly_as_written()
    {
        Prediction p = Make(0, "angry");

        await Store.AddAsync(p, null, null, default);
        Prediction back = (await Store.GetAsync(p.Id, null, default))!;

        Assert.Equal(p with { Probabilities = back.Probabilities, Segments = back.Segments }, back);
        Assert.Equal(p.Probabilities, back.Probabilities);
        Assert.Equal(p.Segments.Count, back.Segments.Count);
        Assert.Equal(p.Segments[1] with { Probabilities = back.Segments[1].Probabilities }, back.Segments[1]);
        Assert.Equal(p.Segments[1].Probabilities, back.Segments[1].Probabilities);
    }

    [Fact]
    public async Task Initializing_twice_keeps_the_data()
    {
        Prediction p = Make(0, "sad");
        await Store.AddAsync(p, null, null, default);

        await Store.InitializeAsync(default);

        Assert.NotNull(await Store.GetAsync(p.Id, null, default));
        Assert.True(await Store.PingAsync(default));
    }

    [Fact]
    public async Task Listing_is_newest_first_with_filters_and_a_total()
    {
        for (int i = 0; i < 6; i++)
        {
            await Store.AddAsync(Make(i, i % 2 == 0 ? "happy" : "sad"), null, null, default);
        }

        PredictionPage happy = await Store.ListAsync(new PredictionQuery(Label: "happy", Skip: 1, Take: 1), default);
        PredictionPage window = await Store.ListAsync(new PredictionQuery(From: At(2), To: At(4), Take: 10), default);

        Assert.Equal(3, happy.Total);
        Assert.Equal(At(2), Assert.Single(happy.Items).CreatedAt);
        Assert.Equal([At(3), At(2)], window.Items.Select(p => p.CreatedAt));
    }

    [Fact]
    public async Task Streaming_yields_every_row_newest_first()
    {
        for (int i = 0; i < 50; i++)
        {
            await Store.AddAsync(Make(i, "neutral"), null, null, default);
        }

        var seen = new List<DateTimeOffset>();
        await foreach (Prediction p in Store.StreamAsync(new PredictionQuery(), default))
        {
            seen.Add(p.CreatedAt);
        }

        Assert.Equal(Enumerable.Range(0, 50).Reverse().Select(At), seen);
    }

    [Fact]
    public async Task Delete_reports_the_kept_audio_and_really_deletes()
    {
        Prediction p = Make(0, "angry");
        await Store.AddAsync(p, "/data/audio/x.wav", null, default);

        Assert.Equal((true, "/data/audio/x.wav"), await Store.DeleteAsync(p.Id, null, default));
        Assert.Null(await Store.GetAsync(p.Id, null, default));
        Assert.Equal((false, null), await Store.DeleteAsync(p.Id, null, default));
        Assert.Equal(0, (await Store.ListAsync(new PredictionQuery(), default)).Total);
    }

    [Fact]
    public async Task Concurrent_writers_lose_nothing()
    {
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => Store.AddAsync(Make(i, "happy"), null, null, default))));

        Assert.Equal(40, (await Store.ListAsync(new PredictionQuery(), default)).Total);
    }

    [Fact]
    public async Task A_bad_row_in_a_concurrent_burst_fails_alone()
    {
        Prediction taken = Make(0, "sad");
        await Store.AddAsync(taken, null, null, default);

        // Writes queued together are committed together; the duplicate id must not take its neighbours with it.
        Task[] burst = [.. Enumerable.Range(1, 30).Select(i => Task.Run(() => Store.AddAsync(Make(i, "happy"), null, null, default)))
            .Append(Task.Run(() => Store.AddAsync(taken with { Label = "angry" }, null, null, default)))];
        Task all = Task.WhenAll(burst);
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => all);

        Assert.Equal(1, burst.Count(t => t.IsFaulted));
        Assert.Equal(31, (await Store.ListAsync(new PredictionQuery(), default)).Total);
        Assert.Equal("sad", (await Store.GetAsync(taken.Id, null, default))!.Label);
    }

    [Fact]
    public async Task Text_with_quotes_and_unicode_survives()
    {
        Prediction p = Make(0, "neutral") with { FileName = "Zoë's \"call\"; DROP TABLE predictions;--.wav" };

        await Store.AddAsync(p, null, null, default);

        Assert.Equal(p.FileName, (await Store.GetAsync(p.Id, null, default))!.FileName);
    }

    [Fact]
    public async Task An_owner_sees_lists_and_deletes_only_its_own_predictions()
    {
        Prediction mine = Make(0, "happy");
        Prediction theirs = Make(1, "sad");
        await Store.AddAsync(mine, null, "clinic-a", default);
        await Store.AddAsync(theirs, null, "clinic-b", default);

        Assert.Null(await Store.GetAsync(theirs.Id, "clinic-a", default));
        Assert.NotNull(await Store.GetAsync(mine.Id, "clinic-a", default));
        Assert.Equal([mine.Id], (await Store.ListAsync(new PredictionQuery(Owner: "clinic-a"), default)).Items.Select(p => p.Id));
        Assert.False((await Store.DeleteAsync(theirs.Id, "clinic-a", default)).Found);
        Assert.NotNull(await Store.GetAsync(theirs.Id, null, default));
        Assert.Equal(2, (await Store.ListAsync(new PredictionQuery(), default)).Total);
    }

    [Fact]
    public async Task The_channel_a_routed_model_heard_reads_back_with_its_probabilities()
    {
        var heard = new Dictionary<string, double> { ["clean"] = 0.125, ["phone"] = 0.75, ["noise"] = 0.0625, ["room"] = 0.0625 };
        Prediction p = Make(0, "sad") with { Channel = new HeardChannel("phone", heard) };
        await Store.AddAsync(p, null, null, default);
        await Store.AddAsync(Make(1, "sad"), null, null, default);

        HeardChannel back = (await Store.GetAsync(p.Id, null, default))!.Channel!;
        Assert.Equal("phone", back.Heard);
        Assert.Equal(heard, back.Probabilities);
        Assert.Equal(["clean", "phone", "noise", "room"], back.Probabilities.Keys);
        Assert.Null((await Store.ListAsync(new PredictionQuery(Take: 10), default)).Items.Single(i => i.Id != p.Id).Channel);
    }

    [Fact]
    public async Task A_speaker_and_adaptation_read_back_and_the_list_filters_by_speaker()
    {
        Prediction p = Make(0, "sad") with { Speaker = "p-07", Adaptation = new SpeakerAdaptation("cnn-rnn-spk-emodb", true, 12, 10) };
        await Store.AddAsync(p, null, null, default, [1f, 2f]);
        await Store.AddAsync(Make(1, "sad"), null, null, default);

        Assert.Equal(p.Adaptation, (await Store.GetAsync(p.Id, null, default))!.Adaptation);
        PredictionPage page = await Store.ListAsync(new PredictionQuery(Speaker: "p-07", Take: 10), default);
        Assert.Equal(p.Id, Assert.Single(page.Items).Id);
        Assert.Equal("p-07", page.Items[0].Speaker);
    }

    [Fact]
    public async Task Speaker_statistics_come_newest_first_for_that_speaker_and_owner_only_and_go_with_a_delete()
    {
        Prediction[] mine = [.. Enumerable.Range(0, 4).Select(i => Make(i, "happy") with { Speaker = "p1" })];
        foreach (Prediction p in mine)
        {
            await Store.AddAsync(p, null, "clinic-a", default, [p.CreatedAt.Minute, 0.5f]);
        }

        await Store.AddAsync(Make(10, "happy") with { Speaker = "p1" }, null, "clinic-b", default, [99f, 99f]);
        await Store.AddAsync(Make(11, "happy") with { Speaker = "p2" }, null, "clinic-a", default, [98f, 98f]);
        await Store.AddAsync(Make(12, "happy") with { Speaker = "p1" }, null, "clinic-a", default); // no statistics: not in a profile

        IReadOnlyList<ProfileRecording> latest = await Store.SpeakerStatisticsAsync("p1", "clinic-a", 3, default);
        Assert.Equal([[3f, 0.5f], [2f, 0.5f], [1f, 0.5f]], latest.Select(r => r.Statistics));
        Assert.All(latest, r => Assert.Equal("happy", r.Label));

        await Store.DeleteAsync(mine[3].Id, "clinic-a", default);
        Assert.Equal([[2f, 0.5f], [1f, 0.5f], [0f, 0.5f]], (await Store.SpeakerStatisticsAsync("p1", "clinic-a", 3, default)).Select(r => r.Statistics));
        Assert.Empty(await Store.SpeakerStatisticsAsync("p1", null, 3, default));
    }

    [Fact]
    public async Task Forgetting_a_speaker_erases_only_their_statistics_and_keeps_the_predictions()
    {
        Prediction p = Make(0, "sad") with { Speaker = "p1" };
        await Store.AddAsync(p, null, "clinic-a", default, [1f]);
        await Store.AddAsync(Make(1, "sad") with { Speaker = "p1" }, null, "clinic-a", default, [2f]);
        await Store.AddAsync(Make(2, "sad") with { Speaker = "p1" }, null, "clinic-b", default, [3f]);
        await Store.AddAsync(Make(3, "sad") with { Speaker = "p2" }, null, "clinic-a", default, [4f]);

        Assert.Equal(2, await Store.ForgetSpeakerAsync("p1", "clinic-a", default));

        Assert.Empty(await Store.SpeakerStatisticsAsync("p1", "clinic-a", 10, default));
        ProfileRecording other = Assert.Single(await Store.SpeakerStatisticsAsync("p1", "clinic-b", 10, default));
        Assert.Equal([3f], other.Statistics);
        Assert.Equal("sad", other.Label);
        Assert.Equal([[4f]], (await Store.SpeakerStatisticsAsync("p2", "clinic-a", 10, default)).Select(r => r.Statistics));
        Assert.Equal("p1", (await Store.GetAsync(p.Id, "clinic-a", default))!.Speaker);
        Assert.Equal(0, await Store.ForgetSpeakerAsync("p1", "clinic-a", default));
    }

    [Fact]
    public async Task Retention_deletes_what_is_older_than_the_cutoff_and_returns_kept_audio()
    {
        await Store.AddAsync(Make(0, "sad"), "/a/0.wav", null, default);
        await Store.AddAsync(Make(1, "sad"), null, null, default);
        await Store.AddAsync(Make(2, "sad"), "/a/2.wav", null, default);

        IReadOnlyList<string> audio = await Store.DeleteOlderThanAsync(At(2), default);

        Assert.Equal(["/a/0.wav"], audio);
        Assert.Equal([At(2)], (await Store.ListAsync(new PredictionQuery(), default)).Items.Select(p => p.CreatedAt));
    }

    internal static DateTimeOffset At(int minute) => new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(minute);

    internal static Prediction Make(int minute, string label)
    {
        var probabilities = new Dictionary<string, double> { [label] = 0.75, ["other"] = 0.25 };
        return new Prediction(
            Guid.CreateVersion7(At(minute)),
            At(minute),
            $"clip-{minute}.wav",
            "cnn-rnn-emodb",
            label,
            0.75,
            probabilities,
            3.25,
            2.5,
            [new TimelineSegment(0, 2, "no_speech", 0, new Dictionary<string, double>()), new TimelineSegment(0.5, 2.5, label, 0.75, probabilities)],
            1.5);
    }
}

public sealed class SqliteStoreTests : StoreContractTests, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "rtser-store-tests", Guid.NewGuid().ToString("N"));
    private readonly SqlitePredictionStore _store;

    public SqliteStoreTests() => _store = new SqlitePredictionStore(Path.Combine(_folder, "nested", "rtser.db"));

    protected override IPredictionStore Store => _store;

    [Fact]
    public async Task The_file_is_created_in_wal_mode_with_the_current_schema_version()
    {
        Assert.True(File.Exists(_store.Path));
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_store.Path}");
        await c.OpenAsync();
        await using var mode = c.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", await mode.ExecuteScalarAsync());
        mode.CommandText = "SELECT MAX(version) FROM schema_version";
        Assert.Equal((long)SqlPredictionStore.SchemaVersion, await mode.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_json_columns_keep_the_shapes_of_schema_1_and_3()
    {
        Prediction p = Make(0, "angry") with { Adaptation = new SpeakerAdaptation("cnn-rnn-spk-emodb", true, 12, 10, new Dictionary<string, int> { ["sad"] = 7, ["angry"] = 5 }, "w", true) };
        await Store.AddAsync(p, null, null, default);

        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_store.Path}");
        await c.OpenAsync();
        await using var read = c.CreateCommand();
        read.CommandText = "SELECT probabilities, segments, adaptation FROM predictions";
        await using var row = await read.ExecuteReaderAsync();
        Assert.True(await row.ReadAsync());
        Assert.Equal("""{"angry":0.75,"other":0.25}""", row.GetString(0));
        Assert.Equal("""[{"start":0,"end":2,"label":"no_speech","confidence":0,"probabilities":{}},{"start":0.5,"end":2.5,"label":"angry","confidence":0.75,"probabilities":{"angry":0.75,"other":0.25}}]""", row.GetString(1));
        Assert.Equal("""{"model":"cnn-rnn-spk-emodb","applied":true,"profileRecordings":12,"requiredRecordings":10,"profileLabels":{"sad":7,"angry":5},"warning":"w","compensated":true}""", row.GetString(2));
    }

    [Fact]
    public async Task A_row_written_by_hand_in_schema_1_reads_after_the_upgrade()
    {
        string path = Path.Combine(_folder, "old", "rtser.db");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await c.OpenAsync();
            await using var write = c.CreateCommand();
            write.CommandText = string.Join(";\n", StoreMigrations.Versions[0]) + """
                ;
                CREATE TABLE schema_version (version INTEGER NOT NULL);
                INSERT INTO schema_version (version) VALUES (1);
                INSERT INTO predictions VALUES ('0190c1f2-8a00-7000-8000-000000000001', 1772352000000, 'a.wav', 'cnn-emodb', 'sad', 0.6,
                    4.5, 3.25, 12.5, '{"sad":0.6,"neutral":0.4}',
                    '[{"start":0,"end":2,"label":"no_speech","confidence":0,"probabilities":{}},{"start":0.5,"end":2.5,"label":"sad","confidence":0.6,"probabilities":{"sad":0.6,"neutral":0.4}}]',
                    NULL)
                """;
            await write.ExecuteNonQueryAsync();
        }

        var store = new SqlitePredictionStore(path);
        await store.InitializeAsync(default);
        Prediction p = Assert.Single((await store.ListAsync(new PredictionQuery(), default)).Items);

        Assert.Equal(Guid.Parse("0190c1f2-8a00-7000-8000-000000000001"), p.Id);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero), p.CreatedAt);
        Assert.Equal(("a.wav", "cnn-emodb", "sad", 0.6, 4.5, 3.25, 12.5), (p.FileName, p.Model, p.Label, p.Confidence, p.DurationSeconds, p.SpeechSeconds, p.ProcessingMs));
        Assert.Equal(new Dictionary<string, double> { ["sad"] = 0.6, ["neutral"] = 0.4 }, p.Probabilities);
        Assert.Equal([(0.0, 2.0, "no_speech", 0.0, 0), (0.5, 2.5, "sad", 0.6, 2)], p.Segments.Select(s => (s.Start, s.End, s.Label, s.Confidence, s.Probabilities.Count)));
        Assert.Equal(0.4, p.Segments[1].Probabilities["neutral"]);
        Assert.Null(p.Speaker);
        Assert.Null(p.Adaptation);
    }

    [Fact]
    public async Task A_store_from_a_newer_version_is_refused_rather_than_misread()
    {
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_store.Path}"))
        {
            await c.OpenAsync();
            await using var bump = c.CreateCommand();
            bump.CommandText = "INSERT INTO schema_version (version) VALUES (99)";
            await bump.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.InitializeAsync(default));
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forgotten_profile_leaves_no_trace_in_the_database_files()
    {
        await Store.AddAsync(Make(0, "sad") with { Speaker = "p1" }, null, null, default, [12345.678f, 0.5f]);
        Assert.True(ContainsInFiles("12345.678"));

        await Store.ForgetSpeakerAsync("p1", null, default);

        Assert.False(ContainsInFiles("12345.678"));
    }

    [Fact]
    public async Task A_deleted_prediction_leaves_no_trace_in_the_database_files()
    {
        Prediction p = Make(0, "angry") with { FileName = "patient-7f3a-session.wav" };
        await Store.AddAsync(p, null, null, default);
        Assert.True(ContainsInFiles("patient-7f3a-session"));

        await Store.DeleteAsync(p.Id, null, default);

        Assert.False(ContainsInFiles("patient-7f3a-session"));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private bool ContainsInFiles(string text)
    {
        byte[] needle = System.Text.Encoding.UTF8.GetBytes(text);
        return Directory.GetFiles(Path.GetDirectoryName(_store.Path)!).Any(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray().AsSpan().IndexOf(needle) >= 0;
        });
    }
}

public sealed class PostgresStoreTests(PostgresServer server) : StoreContractTests, IClassFixture<PostgresServer>
{
    private PostgresPredictionStore? _store;

    protected override IPredictionStore Store => _store!;

    public override async Task InitializeAsync()
    {
        _store = new PostgresPredictionStore(await server.CreateDatabaseAsync());
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}
