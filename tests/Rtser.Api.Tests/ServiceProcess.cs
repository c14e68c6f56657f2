using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rtser.Api.Tests;

/// <summary>The built service (Rtser.Api.dll beside the tests) run as a real process on a free loopback port.</summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    private ServiceProcess(string arguments)
    {
        Port = FreePort();
        string dll = Path.Combine(AppContext.BaseDirectory, "Rtser.Api.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" --urls http://127.0.0.1:{Port} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        Process = new Process { StartInfo = info };

        // Collected as it comes so the pipes never fill and block the service.
        Process.OutputDataReceived += (_, e) => Append(e.Data);
        Process.ErrorDataReceived += (_, e) => Append(e.Data);
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public Process Process { get; }

    public int Port { get; }

    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ServiceProcess Start(string arguments) => new(arguments);

    public static async Task<ServiceProcess> StartReadyAsync(string arguments)
    {
        var service = new ServiceProcess(arguments);
        await service.WaitReadyAsync();
        return service;
    }

    public async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (Process.HasExited)
            {
                Assert.Fail("the service exited: " + Output);
            }

            try
            {
                if ((await Client.GetAsync("/healthz")).IsSuccessStatusCode)
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

        Assert.Fail("the service did not become ready within 60 s: " + Output);
    }

    /// <summary>SIGTERM: what a container runtime or systemd sends to stop the service.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public void Dispose()
    {
        Client.Dispose();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }

        Process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
