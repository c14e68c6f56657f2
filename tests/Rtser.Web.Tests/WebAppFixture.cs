using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Playwright;

// One browser test at a time: they share two cores with the service, and live mode measures its delay.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Rtser.Web.Tests;

/// <summary>
/// The built service as a process on a free loopback port (the browser needs a real socket), and Debian's
/// Chromium launched once, headless, with a fake microphone that plays <see cref="TestAudio.Speech"/> in a loop.
/// </summary>
public class WebAppFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium; RTSER_CHROMIUM overrides. Playwright never downloads a browser here.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("RTSER_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private readonly string _temp = Path.Combine(Path.GetTempPath(), "rtser-web-tests", Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _log = new();
    private Process? _app;
    private IPlaywright? _playwright;

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    public byte[] SpeechWav { get; private set; } = [];

    public HttpClient Http { get; private set; } = null!;

    public string ServiceLog
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>More command-line settings for the service.</summary>
    protected virtual string ExtraArguments => "";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new FileNotFoundException($"Chromium not found at {ChromiumPath}: run tools/setup.sh (installs Debian's chromium) or set RTSER_CHROMIUM.");
        }

        Directory.CreateDirectory(_temp);
        SpeechWav = TestAudio.Speech();
        string microphone = Path.Combine(_temp, "microphone.wav");
        await File.WriteAllBytesAsync(microphone, SpeechWav);

        int port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _app = StartApp($"--urls {BaseUrl} --Rtser:DataDirectory {Path.Combine(_temp, "data")} {ExtraArguments}".TrimEnd());
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Task ready = WaitReadyAsync();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", // root in containers and CI
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                $"--use-file-for-fake-audio-capture={microphone}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        });
        await ready;
    }

    /// <summary>A fresh context (own storage, microphone allowed) and page, with console errors collected.</summary>
    public async Task<BrowserPage> NewPageAsync(int width = 1100, int height = 900)
    {
        IBrowserContext context = await Browser.NewContextAsync(new()
        {
            BaseURL = BaseUrl,
            ViewportSize = new() { Width = width, Height = height },
            Permissions = ["microphone"],
            AcceptDownloads = true,
        });
        IPage page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                lock (errors)
                {
                    errors.Add(m.Text);
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (errors)
            {
                errors.Add(e);
            }
        };
        return new BrowserPage(context, page, errors);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        Http?.Dispose();
        if (_app is { HasExited: false })
        {
            _app.Kill(entireProcessTree: true);
            await _app.WaitForExitAsync();
        }

        _app?.Dispose();
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open; it is in the temp folder
        }
    }

    private Process StartApp(string arguments)
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
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task WaitReadyAsync()
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_app!.HasExited)
            {
                throw new InvalidOperationException("the service exited: " + ServiceLog);
            }

            try
            {
                if ((await Http.GetAsync("/healthz")).IsSuccessStatusCode)
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

        throw new TimeoutException("the service did not become ready within 90 s: " + ServiceLog);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>The service with API keys (alice, bob) configured: every /api request needs one.</summary>
public sealed class KeyedWebAppFixture : WebAppFixture
{
    public const string AliceKey = "alice-key-0123456789";

    protected override string ExtraArguments => $"--Rtser:ApiKeys:alice {AliceKey} --Rtser:ApiKeys:bob bob-key-9876543210";
}

[CollectionDefinition(Name)]
public sealed class WebAppCollection : ICollectionFixture<WebAppFixture>
{
    public const string Name = "web app";
}

/// <summary>A page in its own browser context; disposing closes the context.</summary>
public sealed record BrowserPage(IBrowserContext Context, IPage Page, List<string> Errors) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await Context.CloseAsync();

    /// <summary>Page errors and console errors so far (a failed request the test provoked logs one, so only some tests check).</summary>
    public string[] ErrorsSoFar()
    {
        lock (Errors)
        {
            return [.. Errors];
        }
    }
}

[CollectionDefinition(Name)]
public sealed class KeyedWebAppCollection : ICollectionFixture<KeyedWebAppFixture>
{
    public const string Name = "web app with API keys";
}
