using Microsoft.Extensions.FileProviders;

// The service proper (predictions, models, store) lands with the service issue; this host already
// serves the page from the repository's wwwroot and answers health checks, so Docker and the README
// commands have something real to run.
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls(builder.Configuration["urls"] ?? "http://localhost:8080");
var app = builder.Build();

string webRoot = Path.GetFullPath(builder.Configuration["WebRoot"] ?? Path.Combine(AppContext.BaseDirectory, "wwwroot"));
if (Directory.Exists(webRoot))
{
    var files = new PhysicalFileProvider(webRoot);
    app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
    app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
}

app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ready" }));
app.Run();
