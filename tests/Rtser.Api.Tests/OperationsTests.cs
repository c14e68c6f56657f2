using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rtser.Api.Analysis;
using Rtser.Api.Store;
using Rtser.Inference;

namespace Rtser.Api.Tests;

public sealed class OperationsTests
{
    [Fact]
    public async Task A_caller_over_the_rate_limit_gets_429_with_retry_after()
    {
        using var app = new RtserApp(new() { ["Rtser:RateLimitPerMinute"] = "60" });
        using HttpClient client = app.CreateClient();

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.GetAsync("/api/predictions")));

        // A bucket holds a tenth of a minute's allowance: 6 pass at once, the rest wait for refills.
        Assert.Equal(6, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(6, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        HttpResponseMessage refused = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "rate limit");
        Assert.True(refused.Headers.RetryAfter!.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_burst_beyond_the_analysis_queue_gets_503_with_retry_after_and_the_rest_succeed()
    {
        using var app = new RtserApp(new()
        {
            ["Rtser:MaxConcurrentAnalyses"] = "1",
            ["Rtser:MaxQueuedAnalyses"] = "1",
            ["Rtser:RateLimitPerMinute"] = "0",
        });
        using HttpClient client = app.CreateClient();
        InferenceGate gate = app.Services.GetRequiredService<InferenceGate>();
        using IDisposable held = (await gate.EnterAsync(default))!;

        Task<HttpResponseMessage> queued = Send.Raw(client, Send.Speech());
        await WaitUntilAsync(() => gate.Waiting == 1);
        HttpResponseMessage refused = await Send.Raw(client, Send.Speech());
        held.Dispose();

        await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "queue is full");
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.Created, (await queued).StatusCode);
        Assert.Equal(1, Scrape.Value(await client.GetStringAsync("/metrics"), "rtser_rejected_total"));
    }

    [Fact]
    public async Task Uploads_beyond_the_audio_budget_wait_with_free_slots_and_a_burst_beyond_the_queue_gets_503()
    {
        using var app = new RtserApp(new()
        {
            ["Rtser:MaxConcurrentAnalyses"] = "4",
            ["Rtser:MaxQueuedAnalyses"] = "1",
            ["Rtser:MaxDurationSeconds"] = "10",
            ["Rtser:MaxAudioSecondsInFlight"] = "10",
            ["Rtser:RateLimitPerMinute"] = "0",
        });
        using HttpClient client = app.CreateClient();
        InferenceGate gate = app.Services.GetRequiredService<InferenceGate>();
        using IDisposable held = (await gate.EnterAsync(8, default))!; // an 8 s recording being analysed
        byte[] fiveSeconds = Send.Wav(new float[5 * Send.Rate]);

        Task<HttpResponseMessage> queued = Send.Raw(client, fiveSeconds);
        await WaitUntilAsync(() => gate.Waiting == 1);
        HttpResponseMessage refused = await Send.Raw(client, fiveSeconds);
        int runningWhileQueued = gate.Running;
        held.Dispose();

        Assert.Equal(1, runningWhileQueued); // three slots were free; the budget was not
        await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "queue is full");
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.Created, (await queued).StatusCode);
    }

    [Fact]
    public async Task A_long_recording_waiting_for_the_audio_budget_is_not_overtaken_by_short_ones()
    {
        using var gate = TenSecondBudgetGate(slots: 4);
        IDisposable first = (await gate.EnterAsync(8, default))!;

        Task<IDisposable?> longOne = gate.EnterAsync(5, default);
        Task<IDisposable?> shortOne = gate.EnterAsync(1, default); // 2 s are free, but the long one came first
        await Task.Delay(50);
        bool waited = !longOne.IsCompleted && !shortOne.IsCompleted;
        first.Dispose();

        Assert.True(waited);
        (await longOne)!.Dispose();
        (await shortOne)!.Dispose();
        Task<IDisposable?> whole = gate.EnterAsync(1e9, default); // capped at the whole budget, so it cannot wait forever
        Assert.True(whole.IsCompletedSuccessfully);
        (await whole)!.Dispose();
        Assert.Equal(0, gate.Running);
    }

    [Fact]
    public async Task An_upload_cancelled_while_waiting_leaves_the_queue_and_returns_its_audio()
    {
        using var gate = TenSecondBudgetGate(slots: 1);
        IDisposable held = (await gate.EnterAsync(2, default))!;
        using var cancel = new CancellationTokenSource();

        Task<IDisposable?> waiting = gate.EnterAsync(8, cancel.Token); // holds its 8 s while it waits for the slot
        int waitingBefore = gate.Waiting;
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal((1, 0), (waitingBefore, gate.Waiting));
        held.Dispose();
        Task<IDisposable?> whole = gate.EnterAsync(10, default);
        Assert.True(whole.IsCompletedSuccessfully); // all 10 s are free again
        (await whole)!.Dispose();
    }

    [Theory]
    [InlineData(0, true, 1200)] // twice the 600 s duration limit
    [InlineData(600, true, 600)]
    [InlineData(599, false, 599)]
    public void The_audio_budget_must_hold_the_longest_recording(double seconds, bool valid, double inForce)
    {
        var o = new RtserOptions { MaxAudioSecondsInFlight = seconds };

        Assert.Equal(valid, !RtserOptions.Check(o).Any());
        Assert.Equal(inForce, o.AudioSecondsInFlight);
    }

    [Theory]
    [InlineData(2, 0.5, 30, true)] // the defaults
    [InlineData(30, 30, 0.5, true)]
    [InlineData(2, -1, 30, false)]
    [InlineData(2, 0, 30, false)]
    [InlineData(2, 3, 30, false)] // hop longer than the window
    [InlineData(0.1, 0.1, 30, false)]
    [InlineData(31, 1, 30, false)]
    [InlineData(double.NaN, 0.5, 30, false)]
    [InlineData(2, 0.5, 0, false)]
    [InlineData(2, 0.5, -5, false)]
    [InlineData(2, 0.5, double.PositiveInfinity, false)]
    public void Timeline_windows_and_the_live_idle_limit_are_checked_before_start_up(double window, double hop, double idle, bool valid)
    {
        var o = new RtserOptions { Timeline = new() { WindowSeconds = window, HopSeconds = hop }, LiveIdleSeconds = idle };

        Assert.Equal(valid, !RtserOptions.Check(o).Any());
    }

    [Theory]
    [InlineData(8, 1, 0.4, 1, true)] // the defaults
    [InlineData(1, 0, 0.4, 0.2, false)] // segments shorter than the models' crops
    [InlineData(8, 5, 0.4, 1, false)] // the shortest above half the longest
    [InlineData(8, 1, 0, 1, false)]
    [InlineData(8, 1, 0.4, 3, false)] // margins of more than a quarter of the longest
    [InlineData(double.NaN, 1, 0.4, 1, false)]
    public void Timeline_segment_settings_are_checked_before_start_up(double max, double min, double pause, double margin, bool valid)
    {
        var o = new RtserOptions { Timeline = new() { MaxSegmentSeconds = max, MinSegmentSeconds = min, MinPauseSeconds = pause, MarginSeconds = margin } };

        Assert.Equal(valid, !RtserOptions.Check(o).Any());
    }

    [Theory]
    [InlineData(null, TimelineMode.Segments)]
    [InlineData("windows", TimelineMode.Windows)]
    [InlineData("Segments", TimelineMode.Segments)]
    public void The_timeline_mode_is_read_from_configuration_in_lower_case_too(string? setting, TimelineMode expected)
    {
        var values = new Dictionary<string, string?> { ["Rtser:Timeline:MaxSegmentSeconds"] = "9" };
        if (setting is not null)
        {
            values["Rtser:Timeline:Mode"] = setting;
        }

        RtserOptions o = new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Rtser").Get<RtserOptions>()!;

        Assert.Equal(expected, o.Timeline.Mode);
        Assert.Equal(9, o.Timeline.MaxSegmentSeconds);
    }

    [Fact]
    public async Task Metrics_count_requests_predictions_per_label_and_inference_time_per_model()
    {
        using var app = new RtserApp();
        using HttpClient client = app.CreateClient();
        await Send.Created(await Send.Raw(client, Send.Speech(), url: "/api/predictions?language=de"));
        await Send.Created(await Send.Raw(client, Send.Wav(new float[16000]), url: "/api/predictions?language=de"));
        await client.GetAsync($"/api/predictions/{Guid.NewGuid()}");

        string metrics = await client.GetStringAsync("/metrics");

        Assert.Equal(2, Scrape.Value(metrics, "rtser_http_requests_total", "method=\"POST\"", "route=\"/api/predictions/\"", "status=\"201\""));
        Assert.Equal(1, Scrape.Value(metrics, "rtser_http_requests_total", "method=\"GET\"", "route=\"/api/predictions/{id:guid}\"", "status=\"404\""));
        Assert.Equal(1, Scrape.Value(metrics, "rtser_predictions_total", "model=\"cnn-rnn-emodb\"", "label=\"no_speech\""));
        Assert.Equal(2, Scrape.Value(metrics, "rtser_inference_seconds_count", "model=\"cnn-rnn-emodb\""));
        Assert.Equal(2, Scrape.Value(metrics, "rtser_inference_seconds_bucket", "model=\"cnn-rnn-emodb\"", "le=\"+Inf\""));
        Assert.Equal(0, Scrape.Value(metrics, "rtser_inference_queue_depth"));
        Assert.Equal(0, Scrape.Value(metrics, "rtser_inference_in_flight"));
        Assert.Contains("# TYPE rtser_http_request_duration_seconds histogram", metrics, StringComparison.Ordinal);
        Assert.NotNull(Scrape.Value(metrics, "rtser_http_request_duration_seconds_bucket", "route=\"/api/predictions/\"", "le=\"10\""));
    }

    [Fact]
    public async Task Metrics_of_one_service_do_not_count_another_services_requests()
    {
        // The Meter comes from each host's IMeterFactory: two services in one process (as in these tests) keep apart.
        using var busy = new RtserApp();
        using var idle = new RtserApp();
        using HttpClient busyClient = busy.CreateClient();
        using HttpClient idleClient = idle.CreateClient();
        await Send.Created(await Send.Raw(busyClient, Send.Speech(), url: "/api/predictions?language=de"));

        string metrics = await idleClient.GetStringAsync("/metrics");

        Assert.Null(Scrape.Value(metrics, "rtser_predictions_total", "model=\"cnn-rnn-emodb\"", "label=\"no_speech\""));
        Assert.Null(Scrape.Value(metrics, "rtser_http_requests_total", "method=\"POST\"", "route=\"/api/predictions/\"", "status=\"201\""));
        Assert.Equal(0, Scrape.Value(metrics, "rtser_live_streams"));
    }

    [Fact]
    public async Task The_page_carries_security_headers_and_no_cors_is_offered()
    {
        using var app = new RtserApp();
        using HttpClient client = app.CreateClient();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/predictions");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        HttpResponseMessage page = await client.GetAsync("/");
        HttpResponseMessage cors = await client.SendAsync(preflight);

        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(page.Headers.Contains("X-Request-Id"));
        Assert.False(cors.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Retention_deletes_old_predictions_and_their_audio()
    {
        using var app = new RtserApp(new() { ["Rtser:StoreAudio"] = "true" });
        using HttpClient client = app.CreateClient();
        app.Clock.Now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Send.Created(await Send.Raw(client, Send.Speech()));
        app.Clock.Now = app.Clock.Now.AddDays(10);
        await Send.Created(await Send.Raw(client, Send.Speech()));

        int purged = await RetentionService.PurgeAsync(app.Services.GetRequiredService<IPredictionStore>(), app.Clock.Now.AddDays(-7), default);

        Assert.Equal(1, purged);
        Assert.Single(Directory.GetFiles(Path.Combine(app.DataDirectory, "audio")));
        Assert.Contains("\"total\":1", await client.GetStringAsync("/api/predictions"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retention_runs_at_start_up_when_configured()
    {
        string data = Path.Combine(Path.GetTempPath(), "rtser-retention-tests", Guid.NewGuid().ToString("N"));
        try
        {
            using (var before = new RtserApp(new() { ["Rtser:DataDirectory"] = data }))
            {
                using HttpClient client = before.CreateClient();
                before.Clock.Now = DateTimeOffset.UtcNow.AddDays(-40);
                await Send.Created(await Send.Raw(client, Send.Wav(new float[8000])));
                before.Clock.Now = DateTimeOffset.UtcNow;
                await Send.Created(await Send.Raw(client, Send.Wav(new float[8000])));
            }

            using var after = new RtserApp(new() { ["Rtser:DataDirectory"] = data, ["Rtser:RetentionDays"] = "30" });
            after.Clock.Now = DateTimeOffset.UtcNow;
            using HttpClient again = after.CreateClient();
            IPredictionStore store = after.Services.GetRequiredService<IPredictionStore>();

            await WaitUntilAsync(() => store.ListAsync(new(), default).Result.Total == 1);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }

    /// <summary>A gate with this many slots, as many queue places, and 10 s of audio in flight.</summary>
    private static InferenceGate TenSecondBudgetGate(int slots) => new(Microsoft.Extensions.Options.Options.Create(new RtserOptions
    {
        MaxConcurrentAnalyses = slots,
        MaxQueuedAnalyses = slots,
        MaxDurationSeconds = 10,
        MaxAudioSecondsInFlight = 10,
    }));
}
