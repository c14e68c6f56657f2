using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Rtser.Api.Problems;

namespace Rtser.Api.Predictions;

/// <summary>An uploaded file: its bytes, its name if the client gave one, and a model, speaker, language and timeline named in the form.</summary>
public sealed record Upload(ReadOnlyMemory<byte> Bytes, string? FileName, string? Model, string? Speaker = null, string? Language = null, string? Timeline = null);

/// <summary>
/// Reads an upload as multipart/form-data (field "file", optional fields "model", "speaker", "language" and "timeline") or as a raw audio body,
/// counting bytes as they arrive so an oversized body is refused without being held, whatever it declares.
/// </summary>
public static class UploadReader
{
    /// <summary>Raw body types we take: the decoder sniffs the bytes, so the type only has to say "audio".</summary>
    public static readonly string[] RawTypes = ["audio/*", "video/webm", "video/ogg", "video/mp4", "application/octet-stream"];

    // Room for multipart boundaries, headers and a model name on top of the file itself.
    private const int MultipartOverhead = 64 * 1024;
    private const int MaxFieldBytes = 256;

    public static async Task<(Upload? Upload, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancel)
    {
        string? contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? type))
        {
            return (null, Problems.Problems.UnsupportedMediaType("send the audio as multipart/form-data with a 'file' field, or as the raw body with Content-Type audio/wav (or another audio/* type)"));
        }

        bool multipart = type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
        if (!multipart && !RawTypes.Any(t => type.IsSubsetOf(MediaTypeHeaderValue.Parse(t))))
        {
            return (null, Problems.Problems.UnsupportedMediaType($"Content-Type {type.MediaType} is not audio; send multipart/form-data with a 'file' field, or the raw body as audio/wav, audio/webm, audio/ogg, audio/mp4 or audio/mpeg"));
        }

        long cap = multipart ? maxBytes + MultipartOverhead : maxBytes;
        if (request.ContentLength > cap)
        {
            return (null, Problems.Problems.TooLarge(maxBytes));
        }

        // Let the body through Kestrel's default 30 MB cap when ours is configured higher; our own count still applies.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = cap + 1;
        }

        try
        {
            return multipart
                ? await ReadMultipartAsync(request, type, maxBytes, cancel)
                : await ReadRawAsync(request.Body, maxBytes, cancel) is { } raw
                    ? (new Upload(raw, null, null), null)
                    : (null, Problems.Problems.TooLarge(maxBytes));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own cap (set above) on a body that declared no length; it is an IOException, so it comes first.
            return (null, Problems.Problems.TooLarge(maxBytes));
        }
        catch (InvalidDataException e)
        {
            // MultipartReader's word for a malformed form or a section over its limits.
            return (null, Problems.Problems.BadRequest($"the multipart body is malformed: {e.Message}"));
        }
        catch (IOException e) when (e.InnerException is null && !cancel.IsCancellationRequested)
        {
            // Answered in case the client only half-closed, but counted as the client going away (499), which it did.
            Observability.MetricsApi.MarkClientGone(request.HttpContext);
            return (null, Problems.Problems.BadRequest($"the upload was cut off: {e.Message}"));
        }
    }

    private static async Task<(Upload?, ProblemHttpResult?)> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue type, long maxBytes, CancellationToken cancel)
    {
        string boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value ?? "";
        if (boundary.Length is 0 or > 200)
        {
            return (null, Problems.Problems.BadRequest("multipart/form-data needs a boundary parameter"));
        }

        // No section limit of the reader's: it would call an oversized file "malformed". The file and fields count
        // their own bytes below, and the body as a whole is capped by the server.
        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null, HeadersLengthLimit = 16 * 1024 };
        ReadOnlyMemory<byte>? file = null;
        string? fileName = null;
        string? model = null;
        string? speaker = null;
        string? language = null;
        string? timeline = null;
        while (await reader.ReadNextSectionAsync(cancel) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out ContentDispositionHeaderValue? disposition))
            {
                continue;
            }

            string name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            if (name == "file" && file is null)
            {
                file = await ReadRawAsync(section.Body, maxBytes, cancel);
                if (file is null)
                {
                    return (null, Problems.Problems.TooLarge(maxBytes));
                }

                fileName = CleanFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value);
            }
            else if (name is "model" or "speaker" or "language" or "timeline")
            {
                if (await ReadRawAsync(section.Body, MaxFieldBytes, cancel) is not { } value)
                {
                    return (null, Problems.Problems.BadRequest($"the '{name}' field is longer than {MaxFieldBytes} bytes"));
                }

                string? text = Encoding.UTF8.GetString(value.Span).Trim();
                text = string.IsNullOrEmpty(text) ? null : text;
                switch (name)
                {
                    case "model":
                        model = text;
                        break;
                    case "speaker":
                        speaker = text;
                        break;
                    case "language":
                        language = text;
                        break;
                    default:
                        timeline = text;
                        break;
                }
            }
        }

        return file is { } bytes
            ? (new Upload(bytes, fileName, model, speaker, language, timeline), null)
            : (null, Problems.Problems.BadRequest("the form has no 'file' field; send the audio as a file in a field named 'file'"));
    }

    /// <summary>The whole stream, or null as soon as it passes <paramref name="maxBytes"/>.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadRawAsync(Stream body, long maxBytes, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        byte[] block = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(block, cancel)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return null;
                }

                buffer.Write(block, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>Only the last path component, without control characters, at most 255 characters.</summary>
    private static string? CleanFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        string last = name.Replace('\\', '/').Split('/')[^1];
        string clean = new([.. last.Where(c => !char.IsControl(c))]);
        return clean.Length == 0 ? null : clean[..Math.Min(clean.Length, 255)];
    }
}
