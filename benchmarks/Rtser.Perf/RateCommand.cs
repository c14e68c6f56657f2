using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Rtser.Perf;

/// <summary>
/// Open-loop HTTP load: POSTs a WAV to /api/predictions at a fixed rate (not "as fast as N connections go", as wrk
/// does), so the latency at a given throughput is measured without coordinated omission: each request's latency
/// counts from the moment it was due, and a request that cannot start because --max-in-flight are open is late.
/// </summary>
internal static class RateCommand
{
    public static async Task<int> RunAsync(Args a)
    {
        var url = new Uri(a.Require("url"));
        byte[] wav = File.ReadAllBytes(a.Require("wav"));
        double rate = a.Number("rate", 150);
        double seconds = a.Number("seconds", 20);
        int maxInFlight = (int)a.Number("max-in-flight", 64);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = maxInFlight, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };

        // Warm the connection pool and the service.
        for (int i = 0; i < 50; i++)
        {
            await PostAsync(client, url, wav);
        }

        int total = (int)(rate * seconds);
        var latencies = new double[total];
        var statuses = new int[total];
        using var gate = new SemaphoreSlim(maxInFlight);
        var tasks = new List<Task>(total);
        int late = 0;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < total; i++)
        {
            double due = i * 1000.0 / rate;
            double now = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (due > now + 1)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(due - now));
            }

            if (!gate.Wait(0))
            {
                late++;
                await gate.WaitAsync();
            }

            int k = i;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    statuses[k] = await PostAsync(client, url, wav);
                }
                finally
                {
                    latencies[k] = Stopwatch.GetElapsedTime(start).TotalMilliseconds - due;
                    gate.Release();
                }
            }));
        }

        await Task.WhenAll(tasks);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var doc = new
        {
            target_rate = rate,
            achieved_rate = total / elapsed,
            requests = total,
            p50_ms = Stats.Percentile(latencies, 50),
            p90_ms = Stats.Percentile(latencies, 90),
            p99_ms = Stats.Percentile(latencies, 99),
            max_ms = latencies.Max(),
            errors = statuses.Count(s => s is < 200 or >= 300),
            late_starts = late,
        };
        Console.WriteLine(JsonSerializer.Serialize(doc));
        return 0;
    }

    private static async Task<int> PostAsync(HttpClient client, Uri url, byte[] wav)
    {
        try
        {
            using var content = new ByteArrayContent(wav);
            content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
            using HttpResponseMessage r = await client.PostAsync(url, content);
            await r.Content.ReadAsByteArrayAsync();
            return (int)r.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }
}
