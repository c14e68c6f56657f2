using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Rtser.Perf;

/// <summary>
/// Live-mode clients for /api/stream: 16 kHz Int16 PCM sent in real time in fixed chunks (20 ms by default, as the
/// page's worklet does). A reading's delay is measured at the client: from just before sending the chunk that
/// crosses the reading's hop boundary (the chunk holding the hop's last sample) to receiving that reading.
/// </summary>
internal static class LiveCommand
{
    public static async Task<int> RunOneAsync(Args a)
    {
        var url = new Uri(a.Require("url"));
        double seconds = a.Number("seconds", 300);
        int chunkMs = (int)a.Number("chunk-ms", 20);
        short[] pcm = ToPcm(Repo.Speech(a.Require("dir"), seconds));
        StreamResult r = await StreamAsync(url, pcm, chunkMs, CancellationToken.None);
        var doc = new
        {
            audio_seconds = seconds,
            chunk_ms = chunkMs,
            readings = r.Delays.Count,
            expected = pcm.Length / 8000,
            p50_ms = Stats.Percentile(r.Delays, 50),
            p95_ms = Stats.Percentile(r.Delays, 95),
            p99_ms = Stats.Percentile(r.Delays, 99),
            max_ms = r.Delays.Count > 0 ? r.Delays.Max() : double.NaN,
            send_lag_max_ms = r.MaxSendLagMs,
            error = r.Error,
        };
        Console.WriteLine(JsonSerializer.Serialize(doc));
        return r.Error is null ? 0 : 1;
    }

    /// <summary>
    /// For each stream count: that many streams at once, each in real time for --seconds (staggered starts over one
    /// hop so readings do not all fall due together). Kept in real time: every stream got all its readings, none
    /// failed, and the p95 reading delay over all streams stayed under --limit-ms (default 250 ms, half a hop).
    /// </summary>
    public static async Task<int> RunRampAsync(Args a)
    {
        var url = new Uri(a.Require("url"));
        double seconds = a.Number("seconds", 20);
        int chunkMs = (int)a.Number("chunk-ms", 20);
        double limitMs = a.Number("limit-ms", 250);
        int[] counts = [.. a.Get("streams", "10,25,50,75,100").Split(',').Select(int.Parse)];
        short[] pcm = ToPcm(Repo.Speech(a.Require("dir"), seconds));
        int expected = pcm.Length / 8000;
        int kept = 0;
        foreach (int n in counts)
        {
            var rng = new Random(n);
            Task<StreamResult>[] tasks = [.. Enumerable.Range(0, n).Select(async i =>
            {
                await Task.Delay(rng.Next(500));
                return await StreamAsync(url, pcm, chunkMs, CancellationToken.None);
            })];
            StreamResult[] results = await Task.WhenAll(tasks);
            var delays = results.SelectMany(r => r.Delays).ToList();
            int failed = results.Count(r => r.Error is not null || r.Delays.Count < expected);
            double p95 = Stats.Percentile(delays, 95);
            bool ok = failed == 0 && p95 <= limitMs;
            var doc = new
            {
                streams = n,
                audio_seconds = seconds,
                readings = delays.Count,
                expected = expected * n,
                p50_ms = Stats.Percentile(delays, 50),
                p95_ms = p95,
                max_ms = delays.Count > 0 ? delays.Max() : double.NaN,
                send_lag_max_ms = results.Max(r => r.MaxSendLagMs),
                failed_streams = failed,
                first_error = results.Select(r => r.Error).FirstOrDefault(e => e is not null),
                real_time = ok,
            };
            Console.WriteLine(JsonSerializer.Serialize(doc));
            if (!ok)
            {
                break;
            }

            kept = n;
            await Task.Delay(1000);
        }

        Console.WriteLine(JsonSerializer.Serialize(new { kept_in_real_time = kept }));
        return 0;
    }

    private static short[] ToPcm(float[] x) => [.. x.Select(v => (short)Math.Clamp(Math.Round(v * 32767), -32768, 32767))];

    private sealed record StreamResult(List<double> Delays, double MaxSendLagMs, string? Error);

    private static async Task<StreamResult> StreamAsync(Uri url, short[] pcm, int chunkMs, CancellationToken cancel)
    {
        const int Hop = 8000;
        int chunk = 16 * chunkMs;
        int boundaries = pcm.Length / Hop;
        var sentAt = new long[boundaries + 2];
        var delays = new List<double>(boundaries);
        double maxLag = 0;
        using var ws = new ClientWebSocket();
        try
        {
            await ws.ConnectAsync(url, cancel);
            var buffer = new byte[1 << 16];
            WebSocketReceiveResult first = await ws.ReceiveAsync(buffer, cancel); // "ready"
            if (first.MessageType != WebSocketMessageType.Text)
            {
                return new StreamResult(delays, 0, "no ready message");
            }

            var done = new TaskCompletionSource();
            Task receiver = Task.Run(
                async () =>
                {
                    var message = new MemoryStream();
                    while (ws.State == WebSocketState.Open)
                    {
                        WebSocketReceiveResult r = await ws.ReceiveAsync(buffer, cancel);
                        long now = Stopwatch.GetTimestamp();
                        if (r.MessageType == WebSocketMessageType.Close)
                        {
                            break;
                        }

                        message.Write(buffer, 0, r.Count);
                        if (!r.EndOfMessage)
                        {
                            continue;
                        }

                        using JsonDocument doc = JsonDocument.Parse(message.ToArray());
                        message.SetLength(0);
                        string? type = doc.RootElement.GetProperty("type").GetString();
                        if (type == "reading")
                        {
                            int boundary = (int)Math.Round(doc.RootElement.GetProperty("end").GetDouble() * 16000 / Hop);
                            if (boundary >= 1 && boundary <= boundaries && sentAt[boundary] != 0)
                            {
                                lock (delays)
                                {
                                    delays.Add(Stopwatch.GetElapsedTime(sentAt[boundary], now).TotalMilliseconds);
                                }
                            }
                        }
                        else if (type == "summary")
                        {
                            done.TrySetResult();
                            break;
                        }
                        else if (type == "error")
                        {
                            done.TrySetException(new InvalidOperationException(doc.RootElement.GetRawText()));
                            break;
                        }
                    }

                    done.TrySetResult();
                },
                cancel);

            var bytes = new byte[chunk * 2];
            long start = Stopwatch.GetTimestamp();
            for (int at = 0, k = 0; at < pcm.Length; at += chunk, k++)
            {
                // Real time: chunk k leaves at k * chunkMs.
                double due = k * chunkMs;
                double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (due > elapsed + 1)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(due - elapsed));
                }

                maxLag = Math.Max(maxLag, Stopwatch.GetElapsedTime(start).TotalMilliseconds - due);
                int n = Math.Min(chunk, pcm.Length - at);
                Buffer.BlockCopy(pcm, at * 2, bytes, 0, n * 2);
                int endBoundary = (at + n) / Hop;
                if (endBoundary > at / Hop && endBoundary <= boundaries)
                {
                    sentAt[endBoundary] = Stopwatch.GetTimestamp();
                }

                await ws.SendAsync(bytes.AsMemory(0, n * 2), WebSocketMessageType.Binary, true, cancel);
            }

            await ws.SendAsync(Encoding.UTF8.GetBytes("{\"type\":\"stop\"}"), WebSocketMessageType.Text, true, cancel);
            await done.Task.WaitAsync(TimeSpan.FromSeconds(30), cancel);
            await receiver.WaitAsync(TimeSpan.FromSeconds(5), cancel);
            return new StreamResult(delays, maxLag, null);
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException or TimeoutException or IOException)
        {
            return new StreamResult(delays, maxLag, e.Message);
        }
    }
}
