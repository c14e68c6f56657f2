using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace Rtser.Api.Tests;

/// <summary>One real service process (Kestrel, not the test server) with a 64 KiB upload limit, shared by the tests below.</summary>
public sealed class SmallLimitService : IAsyncLifetime
{
    public const int Limit = 64 * 1024;

    private readonly string _data = Path.Combine(Path.GetTempPath(), "rtser-kestrel-tests", Guid.NewGuid().ToString("N"));

    internal ServiceProcess Service { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Service = await ServiceProcess.StartReadyAsync($"--Rtser:DataDirectory {_data} --Rtser:MaxUploadBytes {Limit} --Rtser:RateLimitPerMinute 0 --Rtser:LiveIdleSeconds 1");

    public Task DisposeAsync()
    {
        Service.Dispose();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }

        return Task.CompletedTask;
    }
}

/// <summary>What Kestrel itself enforces (body size, request line) reaches the caller as the right problem, not a 400 or a bare status.</summary>
public sealed class KestrelLimitTests(SmallLimitService fixture) : IClassFixture<SmallLimitService>
{
    private HttpClient Client => fixture.Service.Client;

    [Fact]
    public async Task A_chunked_raw_body_over_the_limit_gets_413_not_400()
    {
        var content = new StreamContent(new MemoryStream(new byte[4 * SmallLimitService.Limit]));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/predictions") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await Problem.AssertAsync(await Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [Fact]
    public async Task A_multipart_file_over_the_limit_gets_413_not_400()
    {
        await Problem.AssertAsync(await Send.Form(Client, new byte[2 * SmallLimitService.Limit]), HttpStatusCode.RequestEntityTooLarge, "limit");

        var form = new MultipartFormDataContent { { new StreamContent(new MemoryStream(new byte[2 * SmallLimitService.Limit])), "file", "a.wav" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/predictions") { Content = form };
        request.Headers.TransferEncodingChunked = true;
        await Problem.AssertAsync(await Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [Fact]
    public async Task A_form_whose_file_alone_passes_the_limit_gets_413_not_400() =>
        await Problem.AssertAsync(await Send.Form(Client, new byte[SmallLimitService.Limit + 1000]), HttpStatusCode.RequestEntityTooLarge, "limit");

    [Fact]
    public async Task A_query_of_100_KB_gets_414_problem_details()
    {
        string detail = await Problem.AssertAsync(await Client.GetAsync("/api/predictions?label=" + new string('a', 100_000)), HttpStatusCode.RequestUriTooLong);

        Assert.Contains("8192", detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("take=abc", "take")]
    [InlineData("from=notadate", "from")]
    [InlineData("skip=99999999999", "skip")]
    public async Task A_query_value_of_the_wrong_type_gets_400_naming_the_parameter(string query, string parameter) =>
        await Problem.AssertAsync(await Client.GetAsync("/api/predictions?" + query), HttpStatusCode.BadRequest, parameter);

    [Fact]
    public async Task An_upload_the_client_abandons_is_counted_as_499_not_200()
    {
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, fixture.Service.Port);
            NetworkStream stream = tcp.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /api/predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\nContent-Length: 60000\r\n\r\n"));
            await stream.WriteAsync(new byte[1000]);
            await Task.Delay(300);
        }

        string metrics = "";
        for (int i = 0; i < 100 && !metrics.Contains("status=\"499\"", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
            metrics = await Client.GetStringAsync("/metrics");
        }

        Assert.True(Scrape.Value(metrics, "rtser_http_requests_total", "method=\"POST\"", "status=\"499\"") == 1, metrics);
        Assert.Null(Scrape.Value(metrics, "rtser_http_requests_total", "route=\"/api/predictions/\"", "status=\"200\""));
    }

    [Fact]
    public async Task A_stream_of_empty_frames_is_closed_at_the_idle_limit_and_the_client_reads_why()
    {
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{fixture.Service.Port}/api/stream"), default);
        await LiveStreamTests.ReceiveAsync(ws);
        Task<System.Text.Json.JsonElement> error = LiveStreamTests.ReceiveAsync(ws);

        for (int i = 0; i < 50 && !error.IsCompleted; i++)
        {
            await ws.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, true, default);
            await Task.Delay(100);
        }

        Assert.True(error.IsCompleted, "still open after 5 s of empty frames");
        Assert.Contains("no audio for 1 s", (await error).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
