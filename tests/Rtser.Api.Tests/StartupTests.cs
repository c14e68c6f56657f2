using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

/// <summary>The built service as a process, the way the README starts it.</summary>
public sealed class StartupTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "rtser-startup-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task The_service_listens_on_the_urls_given_and_predicts_with_the_models_beside_it()
    {
        int port = FreePort();
        var output = new StringBuilder();
        using Process p = Start($"--urls http://127.0.0.1:{port} --Rtser:DataDirectory {_data}", output);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitReadyAsync(client, p, output);
            var body = new ByteArrayContent(File.ReadAllBytes(Path.Combine(TestPaths.Datasets, "emodb", "wav", "03a01Wa.wav")));
            body.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");

            HttpResponseMessage response = await client.PostAsync("/api/predictions", body);

            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.True(File.Exists(Path.Combine(_data, "rtser.db")));
        }
        finally
        {
            p.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_model_card_that_does_not_match_the_extractor_stops_start_up_with_a_clear_message()
    {
        string models = Path.Combine(_data, "models");
        Directory.CreateDirectory(models);
        string card = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "models", "mlr-emodb.json"));
        JsonNode node = JsonNode.Parse(card)!;
        node["featureConfig"]!["mfcc"]!["coefficients"] = 20;
        File.WriteAllText(Path.Combine(models, "mlr-emodb.json"), node.ToJsonString());
        File.Copy(Path.Combine(TestPaths.RepoRoot, "models", "mlr-emodb.onnx"), Path.Combine(models, "mlr-emodb.onnx"));

        var output = new StringBuilder();
        using Process p = Start($"--urls http://127.0.0.1:{FreePort()} --Rtser:DataDirectory {_data} --Rtser:ModelsDirectory {models} --Rtser:DefaultModel mlr-emodb", output);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, p.ExitCode);
        string log = output.ToString();
        Assert.Contains("Cannot start", log, StringComparison.Ordinal);
        Assert.Contains("mlr-emodb", log, StringComparison.Ordinal);
        Assert.Contains("other features", log, StringComparison.Ordinal);
    }

    /// <summary>Starts the service; its stdout and stderr are collected as they come so the pipes never fill.</summary>
    private static Process Start(string arguments, StringBuilder output)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Rtser.Api.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var p = new Process { StartInfo = info };
        p.OutputDataReceived += (_, e) => Append(output, e.Data);
        p.ErrorDataReceived += (_, e) => Append(output, e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void Append(StringBuilder output, string? line)
    {
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static async Task WaitReadyAsync(HttpClient client, Process p, StringBuilder output)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited)
            {
                Assert.Fail("the service exited: " + output);
            }

            try
            {
                if ((await client.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        Assert.Fail("the service did not become ready within 60 s");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
