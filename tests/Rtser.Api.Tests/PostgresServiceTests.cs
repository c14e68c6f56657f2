using System.Net;
using System.Net.Http.Json;
using Rtser.Api.Predictions;

namespace Rtser.Api.Tests;

public sealed class PostgresServiceTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_host_connection_string_runs_the_service_on_postgresql()
    {
        using var app = new RtserApp(new() { ["Rtser:StoreConnectionString"] = await server.CreateDatabaseAsync() });
        using HttpClient client = app.CreateClient();

        HttpResponseMessage created = await Send.Form(client, Send.Speech());
        Prediction p = await Send.Created(created);
        PredictionPage page = (await client.GetFromJsonAsync<PredictionPage>("/api/predictions"))!;
        string csv = await client.GetStringAsync("/api/predictions/export?format=csv");

        Assert.Equal(p.Id, Assert.Single(page.Items).Id);
        Assert.Contains(p.Id.ToString(), csv, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(created.Headers.Location)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.False(File.Exists(Path.Combine(app.DataDirectory, "rtser.db")));
    }
}
