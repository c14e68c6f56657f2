using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.AspNetCore.TestHost;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

/// <summary>
/// With keys off (the default), a page on another site must not be able to write into the service or stream into it:
/// a multipart POST needs no preflight and a WebSocket no CORS at all.
/// </summary>
public sealed class OriginTests : IDisposable
{
    private readonly RtserApp _app = new(new() { ["Rtser:AllowedOrigins:0"] = "https://tools.example.org" });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task A_cross_origin_upload_gets_403_and_stores_nothing()
    {
        using HttpClient client = _app.CreateClient();
        client.DefaultRequestHeaders.Add("Origin", "https://evil.example");

        await Problem.AssertAsync(await Send.Form(client, Send.Speech()), HttpStatusCode.Forbidden, "another site");
        await Problem.AssertAsync(await Send.Raw(client, Send.Speech()), HttpStatusCode.Forbidden);

        using HttpClient plain = _app.CreateClient();
        Assert.Equal(0, (await plain.GetFromJsonAsync<PredictionPage>("/api/predictions"))!.Total);
    }

    [Fact]
    public async Task A_cross_origin_delete_gets_403_and_the_prediction_stays()
    {
        using HttpClient plain = _app.CreateClient();
        Prediction p = await Send.Created(await Send.Raw(plain, Send.Speech()));
        using var delete = new HttpRequestMessage(HttpMethod.Delete, $"/api/predictions/{p.Id}");
        delete.Headers.Add("Origin", "null");

        await Problem.AssertAsync(await plain.SendAsync(delete), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync($"/api/predictions/{p.Id}")).StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("http://localhost")]
    [InlineData("https://tools.example.org")]
    public async Task Scripts_the_services_own_page_and_listed_origins_may_upload(string? origin)
    {
        using HttpClient client = _app.CreateClient();
        if (origin is not null)
        {
            client.DefaultRequestHeaders.Add("Origin", origin);
        }

        await Send.Created(await Send.Form(client, Send.Speech()));
    }

    [Fact]
    public async Task A_live_stream_from_another_origin_is_refused_and_from_the_page_opens()
    {
        WebSocketClient foreign = _app.Server.CreateWebSocketClient();
        foreign.ConfigureRequest = r => r.Headers.Origin = "https://evil.example";
        WebSocketClient own = _app.Server.CreateWebSocketClient();
        own.ConfigureRequest = r => r.Headers.Origin = "http://localhost";

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => foreign.ConnectAsync(new Uri(_app.Server.BaseAddress, "api/stream?save=true"), default));
        using WebSocket ws = await own.ConnectAsync(new Uri(_app.Server.BaseAddress, "api/stream"), default);

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        Assert.Equal(WebSocketState.Open, ws.State);
    }

    [Fact]
    public async Task The_page_may_connect_only_to_its_own_host()
    {
        using HttpClient client = _app.CreateClient();

        string csp = (await client.GetAsync("/")).Headers.GetValues("Content-Security-Policy").Single();

        Assert.Contains("connect-src 'self' ws://localhost wss://localhost;", csp, StringComparison.Ordinal);
        Assert.DoesNotContain(" ws: ", csp, StringComparison.Ordinal);
        Assert.DoesNotContain(" wss:;", csp, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_header_that_is_not_a_host_cannot_add_to_the_policy() =>
        Assert.Equal("'self'", Access.SecurityHeaders.ConnectSources(new Microsoft.AspNetCore.Http.HostString("a; script-src *")));
}
