using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

/// <summary>A 201 means durable: uploads racing a SIGKILL are either acknowledged and found after restart, or not acknowledged.</summary>
public sealed class CrashTests(PostgresServer postgres) : IClassFixture<PostgresServer>, IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "rtser-crash-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public Task Every_acknowledged_prediction_survives_a_kill_on_sqlite() => KillAndRecoverAsync("");

    [Fact]
    public async Task Every_acknowledged_prediction_survives_a_kill_on_postgresql() =>
        await KillAndRecoverAsync($"--Rtser:StoreConnectionString \"{await postgres.CreateDatabaseAsync()}\"");

    private async Task KillAndRecoverAsync(string store)
    {
        string args = $"--Rtser:DataDirectory {_data} --Rtser:RateLimitPerMinute 0 {store}";
        var acknowledged = new ConcurrentBag<Guid>();
        byte[] clip = Send.Wav(Send.Samples()[..16000]);
        using (ServiceProcess service = await ServiceProcess.StartReadyAsync(args))
        {
            using var stop = new CancellationTokenSource();
            Task[] writers = [.. Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        HttpResponseMessage r = await Send.Raw(service.Client, clip);
                        if (r.StatusCode == HttpStatusCode.Created)
                        {
                            acknowledged.Add((await r.Content.ReadFromJsonAsync<Prediction>())!.Id);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the service is gone: whatever was in flight was never acknowledged
                    }
                }
            }))];

            while (acknowledged.Count < 40)
            {
                await Task.Delay(20);
            }

            service.Process.Kill(); // SIGKILL, mid-stream of writes
            await service.Process.WaitForExitAsync();
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        using ServiceProcess restarted = await ServiceProcess.StartReadyAsync(args);
        var stored = new HashSet<Guid>();
        for (int skip = 0; ; skip += 200)
        {
            PredictionPage page = (await restarted.Client.GetFromJsonAsync<PredictionPage>($"/api/predictions?skip={skip}&take=200"))!;
            stored.UnionWith(page.Items.Select(p => p.Id));
            if (page.Items.Count < 200)
            {
                break;
            }
        }

        Assert.Empty(acknowledged.Except(stored));
        Assert.True(stored.Count >= acknowledged.Count);
        Assert.Equal(HttpStatusCode.Created, (await Send.Raw(restarted.Client, clip)).StatusCode);
    }
}
