using System.Net;
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
        using ServiceProcess service = await ServiceProcess.StartReadyAsync($"--Rtser:DataDirectory {_data}");

        HttpResponseMessage response = await Send.Raw(service.Client, Send.Speech());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(File.Exists(Path.Combine(_data, "rtser.db")));
    }

    [Fact]
    public async Task A_model_card_that_does_not_match_the_extractor_stops_start_up_with_a_clear_message()
    {
        string models = Path.Combine(_data, "models");
        Directory.CreateDirectory(models);
        JsonNode card = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "models", "mlr-emodb.json")))!;
        card["featureConfig"]!["mfcc"]!["coefficients"] = 20;
        File.WriteAllText(Path.Combine(models, "mlr-emodb.json"), card.ToJsonString());
        File.Copy(Path.Combine(TestPaths.RepoRoot, "models", "mlr-emodb.onnx"), Path.Combine(models, "mlr-emodb.onnx"));

        string output = await StartUpFailureAsync($"--Rtser:DataDirectory {_data} --Rtser:ModelsDirectory {models} --Rtser:DefaultModel mlr-emodb");

        Assert.Contains("Cannot start", output, StringComparison.Ordinal);
        Assert.Contains("mlr-emodb", output, StringComparison.Ordinal);
        Assert.Contains("other features", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_settings_stop_start_up_naming_every_one_that_is_wrong()
    {
        string output = await StartUpFailureAsync($"--Rtser:DataDirectory {_data} --Rtser:MaxUploadBytes 10 --Rtser:LiveLeadSeconds 0.1 --Rtser:Timeline:HopSeconds -1 --Rtser:LiveIdleSeconds 0");

        Assert.Contains("Cannot start", output, StringComparison.Ordinal);
        Assert.Contains("Rtser:MaxUploadBytes must be between 1 KiB and 2 GiB", output, StringComparison.Ordinal);
        Assert.Contains("Rtser:LiveLeadSeconds must be at least 0.5", output, StringComparison.Ordinal);
        Assert.Contains("Rtser:Timeline:HopSeconds must be between 0.1 s and the window length", output, StringComparison.Ordinal);
        Assert.Contains("Rtser:LiveIdleSeconds must be above 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_speaker_adapted_default_model_stops_start_up_with_a_clear_message()
    {
        string output = await StartUpFailureAsync($"--Rtser:DataDirectory {_data} --Rtser:DefaultModel cnn-rnn-spk-emodb");

        Assert.Contains("adapts to the speaker", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_default_language_no_model_is_recommended_for_stops_start_up_naming_the_languages()
    {
        using ServiceProcess service = ServiceProcess.Start($"--Rtser:DataDirectory {_data} --Rtser:DefaultLanguage fr");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await service.Process.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, service.Process.ExitCode);
        Assert.Contains("is recommended for the default language", service.Output, StringComparison.Ordinal); // quotes are escaped in the JSON log
        Assert.Contains("languages with a default: de, en", service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopping_the_service_lets_requests_in_flight_finish()
    {
        using ServiceProcess service = await ServiceProcess.StartReadyAsync($"--Rtser:DataDirectory {_data}");
        float[] speech = Send.Samples();
        float[] minutes = new float[180 * Send.Rate];
        for (int at = 0; at + speech.Length <= minutes.Length; at += speech.Length)
        {
            speech.CopyTo(minutes, at);
        }

        Task<HttpResponseMessage> inFlight = Send.Raw(service.Client, Send.Wav(minutes));
        await Task.Delay(300);
        service.Terminate();

        Assert.Equal(HttpStatusCode.Created, (await inFlight).StatusCode);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await service.Process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, service.Process.ExitCode);
    }

    /// <summary>Starts the service expecting it to refuse to start: exit code 1, and what it logged.</summary>
    private static async Task<string> StartUpFailureAsync(string arguments)
    {
        using ServiceProcess service = ServiceProcess.Start(arguments);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await service.Process.WaitForExitAsync(timeout.Token);
        Assert.Equal(1, service.Process.ExitCode);
        return service.Output;
    }
}
