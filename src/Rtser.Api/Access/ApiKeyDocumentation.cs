using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Rtser.Api.Access;

/// <summary>Declares the API-key scheme in the OpenAPI document and requires it on the operations that require authorization.</summary>
public sealed class ApiKeyDocumentation : IOperationFilter
{
    public static void AddTo(SwaggerGenOptions swagger)
    {
        ArgumentNullException.ThrowIfNull(swagger);
        swagger.AddSecurityDefinition(ApiKeys.Scheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = "X-Api-Key",
            Description = "Needed only when the service has API keys (Rtser:ApiKeys); also accepted as 'Authorization: Bearer <key>', and by /api/stream as ?key=. /metrics (the Prometheus exporter's, not described here) takes Rtser:MetricsKey.",
        });
        swagger.OperationFilter<ApiKeyDocumentation>();
    }

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any(a => a.Policy == ApiKeys.TenantPolicy))
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeys.Scheme, context.Document)] = [] });
            operation.Responses ??= [];
            operation.Responses.TryAdd("401", new OpenApiResponse { Description = "API keys are on and no valid key was sent" });
        }
    }
}
