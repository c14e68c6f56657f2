using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;

namespace Rtser.Perf;

/// <summary>
/// Issue 20's attacks on a running service, with figures: a flood of live streams sent faster than real time (one key
/// and many keys) while uploads and /healthz are timed, empty frames against the idle limit, and wrong keys against
/// the failed-key limit. Started by tools/probes/attack.sh with two key tenants, "a" and "b".
/// </summary>
internal static class AttackCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var http = new Uri(a.Require("url"));
        var ws = new Uri(http, "/api/stream").ToString().Replace("http", "ws", StringComparison.Ordinal);
        string keyA = a.Require("key-a"), keyB = a.Require("key-b");
        byte[] wav = File.ReadAllBytes(a.Require("wav"));
        int streams = (int)a.Number("streams", 20);
        double seconds = a.Number("seconds", 60);
        using var client = new HttpClient { BaseAddress = http, Timeout = TimeSpan.FromSeconds(60) };

        (double upload, double health) quiet = await TimeAsync(client, wav, keyA, 10);
        Console.WriteLine(JsonSerializer.Serialize(new { probe = "quiet", upload_p50_ms = quiet.upload, health_max_ms = quiet.health }));

        // One key opens as many streams as it can and sends `seconds` of audio in each as fast as the server reads.
        // Senders stop after --max-wall seconds: a paced stream would take its whole audio length.
        using var flood = new CancellationTokenSource(TimeSpan.FromSeconds(a.Number("max-wall", 30)));
        byte[] pcm = Pcm(Repo.Speech(a.Require("dir"), seconds));
        var opened = new List<ClientWebSocket>();
        int refused429 = 0, refused503 = 0;
        for (int i = 0; i < streams; i++)
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("X-Api-Key", keyA);
            try
            {
                await socket.ConnectAsync(new Uri(ws), flood.Token);
                opened.Add(socket);
            }
            catch (WebSocketException e)
            {
                refused429 += e.Message.Contains("429", StringComparison.Ordinal) ? 1 : 0;
                refused503 += e.Message.Contains("503", StringComparison.Ordinal) ? 1 : 0;
                socket.Dispose();
            }
        }

        var other = new ClientWebSocket();
        other.Options.SetRequestHeader("X-Api-Key", keyB);
        bool otherOpened = await TryConnectAsync(other, new Uri(ws));
        var clock = Stopwatch.StartNew();
        var readings = new int[opened.Count];
        Task[] receivers = [.. opened.Select((s, i) => CountReadingsAsync(s, r => readings[i] = r))];
        Task<long>[] senders = [.. opened.Select(s => SendAllAsync(s, pcm, flood.Token))];
        Task<long[]> all = Task.WhenAll(senders);
        var uploads = new List<double>();
        int notCreated = 0;
        double healthMax = 0, maxAt = 0;
        while (!all.IsCompleted)
        {
            (double upload, double health, bool created) one = await TimeOneAsync(client, wav, keyB);
            if (uploads.Count == 0 || one.upload > uploads.Max())
            {
                maxAt = clock.Elapsed.TotalSeconds;
            }

            uploads.Add(one.upload);
            notCreated += one.created ? 0 : 1;
            healthMax = Math.Max(healthMax, one.health);
            await Task.Delay(250);
        }

        long[] sent = await all;
        double wall = clock.Elapsed.TotalSeconds;
        double read = readings.Sum() * 0.5;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            probe = "live flood, one key",
            asked = streams,
            opened = opened.Count,
            refused_429 = refused429,
            refused_503 = refused503,
            other_key_opened = otherOpened,
            audio_seconds_each = seconds,
            wall_seconds = Math.Round(wall, 1),
            audio_seconds_sent = Math.Round(sent.Sum() / 32000.0),
            audio_seconds_read = read,
            read_per_wall_second_per_stream = Math.Round(read / wall / Math.Max(1, opened.Count), 2),
            uploads_during = uploads.Count,
            uploads_not_201 = notCreated,
            upload_p50_ms = Math.Round(Stats.Percentile(uploads, 50), 1),
            upload_max_ms = uploads.Count > 0 ? Math.Round(uploads.Max(), 1) : double.NaN,
            upload_max_at_s = Math.Round(maxAt, 1),
            upload_p95_ms = Math.Round(Stats.Percentile(uploads, 95), 1),
            health_max_ms = Math.Round(healthMax, 1),
        }));
        foreach (ClientWebSocket s in opened.Append(other))
        {
            s.Dispose();
        }

        // Empty frames: before the fix they restarted the idle timer for ever.
        using (var empty = new ClientWebSocket())
        {
            empty.Options.SetRequestHeader("X-Api-Key", keyB);
            await empty.ConnectAsync(new Uri(ws), default);
            var held = Stopwatch.StartNew();
            string? error = null;
            Task closed = CountReadingsAsync(empty, _ => { }, e => error = e);
            double limit = a.Number("idle-limit", 10) * 3;
            try
            {
                while (!closed.IsCompleted && held.Elapsed < TimeSpan.FromSeconds(limit))
                {
                    await empty.SendAsync(Array.Empty<byte>(), WebSocketMessageType.Binary, true, default);
                    await Task.Delay(200);
                }
            }
            catch (WebSocketException)
            {
            }

            await Task.WhenAny(closed, Task.Delay(2000));
            Console.WriteLine(JsonSerializer.Serialize(new { probe = "empty frames every 200 ms", seconds = Math.Round(held.Elapsed.TotalSeconds, 1), closed_by_server = closed.IsCompleted && error is not null, server_said = error, gave_up_at = limit }));
        }

        // Wrong keys: every request from one address.
        var counts = new Dictionary<int, int>();
        for (int i = 0; i < (int)a.Number("guesses", 2300); i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/predictions");
            request.Headers.Add("X-Api-Key", $"guess-{i:D6}");
            int status = (int)(await client.SendAsync(request)).StatusCode;
            counts[status] = counts.GetValueOrDefault(status) + 1;
        }

        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/predictions");
        right.Headers.Add("X-Api-Key", keyA);
        HttpResponseMessage after = await client.SendAsync(right);
        Console.WriteLine(JsonSerializer.Serialize(new { probe = "wrong keys", statuses = counts.OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value), right_key_then = (int)after.StatusCode, retry_after_s = after.Headers.RetryAfter?.Delta?.TotalSeconds }));
        return 0;
    }

    private static byte[] Pcm(float[] x)
    {
        var bytes = new byte[x.Length * 2];
        for (int i = 0; i < x.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), (short)Math.Clamp(Math.Round(x[i] * 32767), -32768, 32767));
        }

        return bytes;
    }

    /// <summary>Reads a stream's messages until it closes, reporting the readings so far and an error frame's detail.</summary>
    private static async Task CountReadingsAsync(ClientWebSocket socket, Action<int> readings, Action<string?>? error = null)
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        int n = 0;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                WebSocketReceiveResult r = await socket.ReceiveAsync(buffer, default);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage)
                {
                    continue;
                }

                using JsonDocument doc = JsonDocument.Parse(message.ToArray());
                message.SetLength(0);
                switch (doc.RootElement.GetProperty("type").GetString())
                {
                    case "reading":
                        readings(++n);
                        break;
                    case "error":
                        error?.Invoke(doc.RootElement.GetProperty("detail").GetString());
                        break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task<bool> TryConnectAsync(ClientWebSocket socket, Uri url)
    {
        try
        {
            await socket.ConnectAsync(url, default);
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
    }

    /// <summary>Sends the PCM in 64 KB frames as fast as the socket takes them, then stop; returns the bytes sent.</summary>
    private static async Task<long> SendAllAsync(ClientWebSocket socket, byte[] pcm, CancellationToken cancel)
    {
        long sent = 0;
        try
        {
            foreach (byte[] chunk in pcm.Chunk(64 * 1024))
            {
                await socket.SendAsync(chunk, WebSocketMessageType.Binary, true, cancel);
                sent += chunk.Length;
            }

            await socket.SendAsync("{\"type\":\"stop\"}"u8.ToArray(), WebSocketMessageType.Text, true, cancel);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }

        return sent;
    }

    private static async Task<(double Upload, double Health, bool Created)> TimeOneAsync(HttpClient client, byte[] wav, string key)
    {
        var content = new ByteArrayContent(wav);
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/predictions") { Content = content };
        request.Headers.Add("X-Api-Key", key);
        var t = Stopwatch.StartNew();
        HttpResponseMessage r = await client.SendAsync(request);
        double upload = t.Elapsed.TotalMilliseconds;
        t.Restart();
        await client.GetAsync("/healthz");
        return (upload, t.Elapsed.TotalMilliseconds, r.StatusCode == HttpStatusCode.Created);
    }

    /// <summary>Median time of <paramref name="n"/> uploads (one after another) and the slowest /healthz between them.</summary>
    private static async Task<(double UploadP50, double HealthMax)> TimeAsync(HttpClient client, byte[] wav, string key, int n)
    {
        var uploads = new List<double>();
        double health = 0;
        for (int i = 0; i < n; i++)
        {
            (double upload, double h, bool created) = await TimeOneAsync(client, wav, key);
            uploads.Add(upload);
            health = Math.Max(health, h);
            if (!created)
            {
                Console.Error.WriteLine("an upload was not created");
            }
        }

        return (Math.Round(Stats.Percentile(uploads, 50), 1), Math.Round(health, 1));
    }
}
