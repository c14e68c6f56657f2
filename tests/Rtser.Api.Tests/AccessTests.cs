using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

public sealed class AccessTests : IDisposable
{
    private readonly RtserApp _app = new(new()
    {
        ["Rtser:ApiKeys:clinic-a"] = "key-a-0123456789",
        ["Rtser:ApiKeys:clinic-b"] = "key-b-9876543210",
    });

    public void Dispose() => _app.Dispose();

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task With_keys_configured_a_request_without_a_valid_key_gets_401(string? key)
    {
        using HttpClient client = Client(key);

        await Problem.AssertAsync(await client.GetAsync("/api/predictions"), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await Send.Raw(client, Send.Speech()), HttpStatusCode.Unauthorized);
        await Problem.AssertAsync(await client.GetAsync("/api/predictions/export"), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("key-a-0123456789")]
    public async Task With_keys_on_an_unknown_api_path_gets_404_not_401_with_or_without_a_key(string? key)
    {
        using HttpClient client = Client(key);

        await Problem.AssertAsync(await client.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound);
        await Problem.AssertAsync(await client.PostAsync("/api/predictions/x/y", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_page_and_health_stay_open()
    {
        using HttpClient client = Client(null);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task With_keys_on_metrics_need_the_operators_key_not_a_tenants()
    {
        using var app = new RtserApp(new()
        {
            ["Rtser:ApiKeys:clinic-a"] = "key-a-0123456789",
            ["Rtser:MetricsKey"] = "scrape-key-0123",
        });
        using HttpClient anonymous = app.CreateClient();
        using HttpClient tenant = app.CreateClient();
        tenant.DefaultRequestHeaders.Add("X-Api-Key", "key-a-0123456789");
        using HttpClient scraper = app.CreateClient();
        scraper.DefaultRequestHeaders.Authorization = new("Bearer", "scrape-key-0123");

        await Problem.AssertAsync(await anonymous.GetAsync("/metrics"), HttpStatusCode.Unauthorized, "MetricsKey");
        await Problem.AssertAsync(await tenant.GetAsync("/metrics"), HttpStatusCode.Unauthorized, "MetricsKey");
        Assert.Contains("rtser_live_streams", await scraper.GetStringAsync("/metrics"), StringComparison.Ordinal);
        await Problem.AssertAsync(await Client(null).GetAsync("/metrics"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Wrong_keys_from_one_address_are_rate_limited_and_then_even_a_right_key_waits()
    {
        using var app = new RtserApp(new()
        {
            ["Rtser:ApiKeys:clinic-a"] = "key-a-0123456789",
            ["Rtser:FailedKeyAttemptsPerMinute"] = "5",
        });
        using HttpClient guesser = app.CreateClient();
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("/api/models")).StatusCode); // no key: not a guess
        }

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 8; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/predictions");
            request.Headers.Add("X-Api-Key", $"guess-{i}");
            statuses.Add((await guesser.SendAsync(request)).StatusCode);
        }

        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/predictions");
        right.Headers.Add("X-Api-Key", "key-a-0123456789");
        HttpResponseMessage locked = await guesser.SendAsync(right);

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        await Problem.AssertAsync(locked, HttpStatusCode.TooManyRequests, "too many wrong API keys");
        Assert.Equal(TimeSpan.FromSeconds(12), locked.Headers.RetryAfter!.Delta);
    }

    [Fact]
    public async Task A_key_sees_lists_exports_and_deletes_only_its_own_predictions()
    {
        using HttpClient a = Client("key-a-0123456789");
        using HttpClient b = Client(null);
        b.DefaultRequestHeaders.Authorization = new("Bearer", "key-b-9876543210");

        HttpResponseMessage created = await Send.Form(a, Send.Speech(), "a.wav");
        Prediction mine = await Send.Created(created);
        Prediction theirs = await Send.Created(await Send.Form(b, Send.Speech(), "b.wav"));

        Assert.Equal([mine.Id], (await a.GetFromJsonAsync<PredictionPage>("/api/predictions"))!.Items.Select(p => p.Id));
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync(created.Headers.Location)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.DeleteAsync(created.Headers.Location)).StatusCode);
        string csv = await b.GetStringAsync("/api/predictions/export?format=csv");
        Assert.Contains(theirs.Id.ToString(), csv, StringComparison.Ordinal);
        Assert.DoesNotContain(mine.Id.ToString(), csv, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync(created.Headers.Location)).StatusCode);
    }

    [Fact]
    public async Task The_live_stream_takes_its_key_from_the_query_and_refuses_without_one()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => _app.Server.CreateWebSocketClient().ConnectAsync(new Uri(_app.Server.BaseAddress, "api/stream"), default));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);

        using WebSocket ws = await _app.Server.CreateWebSocketClient().ConnectAsync(new Uri(_app.Server.BaseAddress, "api/stream?key=key-a-0123456789"), default);
        Assert.Equal(WebSocketState.Open, ws.State);
    }

    [Fact]
    public async Task Keys_and_file_names_never_reach_the_log()
    {
        using HttpClient a = Client("key-a-0123456789");
        await Send.Created(await Send.Form(a, Send.Speech(), "maria-garcia-call.wav"));
        await a.GetAsync("/api/predictions?label=angry");
        using HttpClient wrong = Client("leaked-secret-key");
        await wrong.GetAsync("/api/predictions");
        using (WebSocket ws = await _app.Server.CreateWebSocketClient().ConnectAsync(new Uri(_app.Server.BaseAddress, "api/stream?key=key-a-0123456789"), default))
        {
            await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);
        }

        string log = _app.Log.ToString();
        Assert.Contains("Prediction", log, StringComparison.Ordinal);
        Assert.DoesNotContain("key-a-0123456789", log, StringComparison.Ordinal);
        Assert.DoesNotContain("leaked-secret-key", log, StringComparison.Ordinal);
        Assert.DoesNotContain("maria-garcia", log, StringComparison.Ordinal);
    }

    private HttpClient Client(string? key)
    {
        HttpClient client = _app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        return client;
    }
}
