using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Rtser.Api.Access;

/// <summary>Declares the API-key scheme in the OpenAPI document and requires it on the /api operations, where the service checks it.</summary>
public sealed class ApiKeyDocumentation : IOperationFilter
{
    public const string Scheme = "ApiKey";

    public static void AddTo(SwaggerGenOptions swagger)
    {
        ArgumentNullException.ThrowIfNull(swagger);
        swagger.AddSecurityDefinition(Scheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-Api-Key",
            Description = "Needed only when the service has API keys (Rtser:ApiKeys); also accepted as 'Authorization: Bearer <key>', and by /api/stream as ?key=. /metrics takes Rtser:MetricsKey.",
        });
        swagger.OperationFilter<ApiKeyDocumentation>();
    }

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        string path = "/" + (context.ApiDescription.RelativePath ?? "");
        if (path.StartsWith("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/metrics", StringComparison.OrdinalIgnoreCase))
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, context.Document)] = [] });
            operation.Responses ??= [];
            operation.Responses.TryAdd("401", new OpenApiResponse { Description = "API keys are on and no valid key was sent" });
        }
    }
}
