using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Rtser.Api.Predictions;

/// <summary>Marks the upload endpoint so <see cref="AudioUploadDocumentation"/> can describe its body.</summary>
public sealed class AudioUploadMarker;

/// <summary>
/// Describes the upload body in the OpenAPI document. Not done with Accepts(): that metadata also makes routing
/// refuse other content types with a bare 415, and we answer those ourselves with a problem that says what to send.
/// </summary>
public sealed class AudioUploadDocumentation : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        if (!context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<AudioUploadMarker>().Any())
        {
            return;
        }

        var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        var form = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "file" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", Description = "The recording: WAV, WebM/Opus, Ogg/Opus (MP4, MP3, FLAC with ffmpeg)" },
                ["model"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Model id; the default when absent" },
                ["timeline"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "segments (utterances) or windows (2 s every 0.5 s); the service's setting when absent" },
            },
        };
        var content = new Dictionary<string, OpenApiMediaType> { ["multipart/form-data"] = new() { Schema = form } };
        foreach (string type in (string[])["audio/wav", "audio/webm", "audio/ogg", "audio/mp4", "audio/mpeg", "application/octet-stream"])
        {
            content[type] = new OpenApiMediaType { Schema = binary };
        }

        operation.RequestBody = new OpenApiRequestBody { Required = true, Content = content };
    }
}
