using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

public sealed class UploadErrorTests : IDisposable
{
    private const int SmallLimit = 64 * 1024;
    private readonly RtserApp _app = new(new()
    {
        ["Rtser:MaxUploadBytes"] = SmallLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Rtser:MaxDurationSeconds"] = "1.5",
    });

    private readonly HttpClient _client;

    public UploadErrorTests() => _client = _app.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _app.Dispose();
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_gets_413_as_a_raw_body_and_as_a_form()
    {
        byte[] big = Send.Wav(new float[SmallLimit]);

        await Problem.AssertAsync(await Send.Raw(_client, big), HttpStatusCode.RequestEntityTooLarge, "limit");
        await Problem.AssertAsync(await Send.Form(_client, big), HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_without_a_declared_length_gets_413()
    {
        var content = new StreamContent(new MemoryStream(Send.Wav(new float[SmallLimit])));
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/predictions") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await Problem.AssertAsync(await _client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Audio_over_the_duration_limit_gets_422() =>
        await Problem.AssertAsync(await Send.Raw(_client, Send.Wav(new float[2 * 8000], 8000)), HttpStatusCode.UnprocessableEntity, "limit is 1.5 s");

    [Fact]
    public async Task An_empty_body_gets_400() =>
        await Problem.AssertAsync(await Send.Raw(_client, []), HttpStatusCode.BadRequest, "empty");

    [Fact]
    public async Task An_empty_file_in_a_form_gets_400() =>
        await Problem.AssertAsync(await Send.Form(_client, []), HttpStatusCode.BadRequest, "empty");

    [Fact]
    public async Task A_wav_without_samples_gets_422() =>
        await Problem.AssertAsync(await Send.Raw(_client, Send.Wav([])), HttpStatusCode.UnprocessableEntity, "no samples");

    [Theory]
    [InlineData(20)]
    [InlineData(43)]
    [InlineData(1000)]
    public async Task A_cut_off_wav_gets_400(int keep) =>
        await Problem.AssertAsync(await Send.Raw(_client, Send.Wav(new float[8000])[..keep]), HttpStatusCode.BadRequest, "truncated");

    [Fact]
    public async Task Bytes_that_are_not_audio_get_415_naming_what_is_wrong()
    {
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R'];

        await Problem.AssertAsync(await Send.Raw(_client, png), HttpStatusCode.UnsupportedMediaType);
        await Problem.AssertAsync(await Send.Raw(_client, "just some text, not audio"u8.ToArray()), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task What_ffmpeg_says_reaches_the_log_and_not_the_client()
    {
        // A concat playlist naming a local file: ffmpeg refuses it in words that hold a heap address and the path.
        byte[] playlist = "ffconcat version 1.0\nfile '/etc/passwd'\n"u8.ToArray();

        string detail = await Problem.AssertAsync(await Send.Form(_client, playlist, "maria-garcia-call.mp3"), HttpStatusCode.UnsupportedMediaType, "not an audio format");

        foreach (string leak in new[] { "0x", "@", "ffmpeg says", "/etc", "passwd", "pipe:" })
        {
            Assert.DoesNotContain(leak, detail, StringComparison.Ordinal);
        }

        string log = _app.Log.ToString();
        Assert.Contains("Unsafe file name '/etc/passwd'", log, StringComparison.Ordinal);
        Assert.DoesNotContain("maria-garcia", log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task A_body_that_does_not_say_it_is_audio_gets_415_saying_what_to_send(string? type) =>
        await Problem.AssertAsync(await Send.Raw(_client, Send.Wav(new float[1600]), type), HttpStatusCode.UnsupportedMediaType, "audio/wav");

    [Fact]
    public async Task A_form_without_a_file_field_gets_400()
    {
        var form = new MultipartFormDataContent { { new StringContent("svm-emodb"), "model" } };

        await Problem.AssertAsync(await _client.PostAsync("/api/predictions", form), HttpStatusCode.BadRequest, "'file'");
    }

    [Theory]
    [InlineData("model")]
    [InlineData("speaker")]
    public async Task A_form_field_over_256_bytes_gets_400_instead_of_being_ignored(string field)
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Send.Wav(new float[8000])), "file", "a.wav" },
            { new StringContent(new string('m', 300)), field },
        };

        await Problem.AssertAsync(await _client.PostAsync("/api/predictions", form), HttpStatusCode.BadRequest, $"'{field}' field is longer than 256 bytes");
    }

    [Fact]
    public async Task A_malformed_multipart_body_gets_400()
    {
        var content = new ByteArrayContent("--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"u8.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");

        await Problem.AssertAsync(await _client.PostAsync("/api/predictions", content), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_unknown_model_gets_400_listing_the_models()
    {
        string detail = await Problem.AssertAsync(await Send.Raw(_client, Send.Wav(new float[1600]), url: "/api/predictions?model=gpt"), HttpStatusCode.BadRequest, "unknown model 'gpt'");

        Assert.Contains("cnn-rnn-emodb", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Random_and_mutated_uploads_never_get_a_5xx_and_failures_store_nothing()
    {
        var random = new Random(1234);
        byte[] valid = Send.Wav([.. Enumerable.Range(0, 8000).Select(i => MathF.Sin(i * 0.05f) * 0.3f)]);
        var accepted = 0;
        for (int i = 0; i < 60; i++)
        {
            byte[] body = i % 2 == 0 ? RandomBytes(random) : Mutate(valid, random);
            HttpResponseMessage response = await Send.Raw(_client, body);
            Assert.True((int)response.StatusCode < 500, $"input {i} got {(int)response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.Created)
            {
                accepted++;
            }
            else
            {
                await Problem.AssertAsync(response, response.StatusCode);
            }
        }

        PredictionPage page = (await _client.GetFromJsonAsync<PredictionPage>("/api/predictions?take=200"))!;
        Assert.Equal(accepted, page.Total);
    }

    private static byte[] RandomBytes(Random r)
    {
        byte[] b = new byte[r.Next(1, 4000)];
        r.NextBytes(b);
        if (r.Next(2) == 0 && b.Length >= 12)
        {
            "RIFF"u8.CopyTo(b);
            "WAVE"u8.CopyTo(b.AsSpan(8));
        }

        return b;
    }

    private static byte[] Mutate(byte[] valid, Random r)
    {
        byte[] b = (byte[])valid.Clone();
        for (int k = r.Next(1, 8); k > 0; k--)
        {
            b[r.Next(Math.Min(b.Length, 64))] = (byte)r.Next(256);
        }

        return r.Next(3) == 0 ? b[..r.Next(1, b.Length)] : b;
    }
}
