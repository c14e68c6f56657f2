using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Rtser.Api.Access;
using Rtser.Api.Store;
using Rtser.Inference;

namespace Rtser.Api.Predictions;

/// <summary>
/// The history as a download. Rows are written as the store yields them, so memory stays flat however
/// long the history is.
/// </summary>
public static class PredictionExport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="format">csv (default) or json.</param>
    /// <param name="label">Only predictions with this overall label.</param>
    /// <param name="from">Only predictions made at or after this time.</param>
    /// <param name="to">Only predictions made before this time.</param>
    internal static Results<PushStreamHttpResult, ProblemHttpResult> ExportAsync(
        IPredictionStore store, ModelRegistry models, HttpContext http, string? format = "csv", string? label = null, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var query = new PredictionQuery(label, from, to, Owner: http.User.Owner());
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return (format ?? "csv").ToLowerInvariant() switch
        {
            "csv" => TypedResults.Stream(
                body => WriteCsvAsync(body, store.StreamAsync(query, http.RequestAborted), Vocabulary(models), http.RequestAborted),
                "text/csv; charset=utf-8",
                $"predictions-{stamp}.csv"),
            "json" => TypedResults.Stream(
                body => WriteJsonAsync(body, store.StreamAsync(query, http.RequestAborted), http.RequestAborted),
                "application/json; charset=utf-8",
                $"predictions-{stamp}.json"),
            _ => Problems.Problems.BadRequest($"format '{format}' is not supported; use csv or json"),
        };
    }

    /// <summary>Every label any loaded model can give, in a stable order: the CSV's probability columns.</summary>
    internal static string[] Vocabulary(ModelRegistry models) =>
        [.. models.Models.SelectMany(m => m.Labels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    internal static async Task WriteCsvAsync(Stream body, IAsyncEnumerable<Prediction> rows, string[] labels, CancellationToken cancel)
    {
        await using var w = new StreamWriter(body, new UTF8Encoding(false), 16 * 1024, leaveOpen: true);
        await w.WriteLineAsync(string.Join(',', ["id", "createdAt", "fileName", "model", "label", "confidence", "durationSeconds", "speechSeconds", "processingMs", .. labels.Select(l => "p_" + l), "segments", "speaker", "channel"]));
        await foreach (Prediction p in rows.WithCancellation(cancel))
        {
            var fields = new List<string>(10 + labels.Length)
            {
                p.Id.ToString("D"),
                p.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
                Csv(p.FileName ?? ""),
                Csv(p.Model),
                Csv(p.Label),
                Number(p.Confidence),
                Number(p.DurationSeconds),
                Number(p.SpeechSeconds),
                Number(p.ProcessingMs),
            };
            fields.AddRange(labels.Select(l => p.Probabilities.TryGetValue(l, out double v) ? Number(v) : ""));
            fields.Add(Csv(JsonSerializer.Serialize(p.Segments, Json)));
            fields.Add(Csv(p.Speaker ?? ""));
            fields.Add(Csv(p.Channel?.Heard ?? ""));
            await w.WriteLineAsync(string.Join(',', fields));
        }
    }

    internal static async Task WriteJsonAsync(Stream body, IAsyncEnumerable<Prediction> rows, CancellationToken cancel)
    {
        // The writer fills a buffer that is copied out asynchronously: Kestrel refuses synchronous writes.
        var buffer = new ArrayBufferWriter<byte>(32 * 1024);
        await using var w = new Utf8JsonWriter(buffer);
        w.WriteStartArray();
        await foreach (Prediction p in rows.WithCancellation(cancel))
        {
            JsonSerializer.Serialize(w, p, Json);
            if (buffer.WrittenCount > 16 * 1024)
            {
                await CopyOutAsync(w, buffer, body, cancel);
            }
        }

        w.WriteEndArray();
        await CopyOutAsync(w, buffer, body, cancel);
    }

    private static async Task CopyOutAsync(Utf8JsonWriter w, ArrayBufferWriter<byte> buffer, Stream body, CancellationToken cancel)
    {
        w.Flush();
        await body.WriteAsync(buffer.WrittenMemory, cancel);
        buffer.ResetWrittenCount();
    }

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180 quoting, and a leading quote mark for text a spreadsheet would run as a formula.</summary>
    private static string Csv(string s)
    {
        if (s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            s = "'" + s;
        }

        return s.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }
}
