using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rtser.Api.Predictions;
using Rtser.Audio;
using Rtser.Tests.Shared;

namespace Rtser.Api.Tests;

/// <summary>A settable clock, so tests can place predictions in time.</summary>
internal sealed class ManualClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// The real service in memory with its own data folder (a fresh SQLite store) and the committed models.
/// Settings are the "Rtser:..." configuration keys a deployment would use.
/// </summary>
internal sealed class RtserApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public RtserApp(Dictionary<string, string?>? settings = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "rtser-api-tests", Guid.NewGuid().ToString("N"));
        _settings = new Dictionary<string, string?>
        {
            ["Rtser:DataDirectory"] = DataDirectory,
            ["Rtser:ModelsDirectory"] = Path.Combine(TestPaths.RepoRoot, "models"),
        };
        foreach (var kv in settings ?? [])
        {
            _settings[kv.Key] = kv.Value;
        }
    }

    public string DataDirectory { get; }

    public ManualClock Clock { get; } = new();

    /// <summary>Everything the app logged (messages, exceptions and scopes), for tests about what must never be logged.</summary>
    public StringBuilder Log { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var kv in _settings)
        {
            builder.UseSetting(kv.Key, kv.Value);
        }

        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock));
        builder.ConfigureLogging(l => l.AddProvider(new CaptureLoggerProvider(Log)));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (disposing && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}

/// <summary>Appends every log entry, scopes included, to one buffer.</summary>
internal sealed class CaptureLoggerProvider(StringBuilder sink) : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    private StringBuilder Sink => sink;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CaptureLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            owner._scopes.ForEachScope((scope, b) => b.Append(" | ").Append(scope), line);
            lock (owner)
            {
                owner.Sink.AppendLine(line.ToString());
            }
        }
    }
}

/// <summary>Audio and requests the tests send.</summary>
internal static class Send
{
    public const int Rate = 16000;

    /// <summary>2 s of the committed espeak speech (one analysis window, like an EmoDB sentence) as a WAV file.</summary>
    public static byte[] Speech() => Wav(Samples());

    /// <summary>An EmoDB recording; a test that sends one is a [CorpusFact].</summary>
    public static byte[] Speech(string emoDbFile) => File.ReadAllBytes(Path.Combine(TestPaths.Datasets, "emodb", "wav", emoDbFile));

    public static byte[] Wav(float[] samples, int rate = Rate) => WavWriter.Pcm16(samples, rate);

    /// <summary>The samples of <see cref="Speech()"/>.</summary>
    public static float[] Samples() => new WavDecoder().Decode16kFile(TestPaths.EspeakWav)[..(2 * Rate)];

    public static float[] Samples(string emoDbFile) => new WavDecoder().Decode16kFile(Path.Combine(TestPaths.Datasets, "emodb", "wav", emoDbFile));

    public static Task<HttpResponseMessage> Raw(HttpClient client, byte[] body, string? contentType = "audio/wav", string url = "/api/predictions")
    {
        var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return client.PostAsync(url, content);
    }

    public static Task<HttpResponseMessage> Form(HttpClient client, byte[] file, string fileName = "clip.wav", string? model = null, string url = "/api/predictions", string? language = null, string? timeline = null)
    {
        var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(part, "file", fileName);
        if (model is not null)
        {
            form.Add(new StringContent(model), "model");
        }

        if (language is not null)
        {
            form.Add(new StringContent(language), "language");
        }

        if (timeline is not null)
        {
            form.Add(new StringContent(timeline), "timeline");
        }

        return client.PostAsync(url, form);
    }

    public static async Task<Prediction> Created(HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Prediction>())!;
    }
}
