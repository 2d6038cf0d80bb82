using System.Net;
using System.Text.Json;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>What operators and integrators use: probes, metrics, the OpenAPI document and its reference page.</summary>
public sealed class OperationsTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private GatewayServer Server => fixture.Server;

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_probes_answer_200_Healthy_without_a_token(string path)
    {
        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };
        var response = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());

        // A broken token is not a reason to fail a probe.
        using var request = Rest.Request("GET", path, token: "garbage");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(request)).StatusCode);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_probes_answer_200_on_the_management_port_too(string path)
    {
        using var scraper = new HttpClient { BaseAddress = Server.ManagementAddress };
        await Eventually.GetAsync(async () => (await scraper.GetAsync(path)).StatusCode, s => s == HttpStatusCode.OK, $"{path} on the management port");
    }

    [Fact]
    public async Task Metrics_are_not_served_on_the_public_port_to_anyone_not_even_with_a_token_or_a_management_Host_header()
    {
        await using var user = fixture.NewUser("metrics-peeker");
        await Rest.AssertProblemAsync(await user.Http.GetAsync("/metrics"), HttpStatusCode.NotFound, ErrorCodes.NotFound);

        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };
        await Rest.AssertProblemAsync(await anonymous.GetAsync("/metrics"), HttpStatusCode.NotFound, ErrorCodes.NotFound);
        await Rest.AssertProblemAsync(await anonymous.GetAsync("/METRICS"), HttpStatusCode.NotFound, ErrorCodes.NotFound);

        // The listener decides, not the Host header a client writes.
        using var spoofed = Rest.Request("GET", "/metrics");
        spoofed.Headers.Host = Server.ManagementAddress.Authority;
        await Rest.AssertProblemAsync(await anonymous.SendAsync(spoofed), HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [Fact]
    public async Task The_management_port_serves_only_metrics_and_probes()
    {
        await using var user = fixture.NewUser("management-api-caller");
        using var viaManagement = new HttpClient { BaseAddress = Server.ManagementAddress };
        viaManagement.DefaultRequestHeaders.Authorization = user.Http.DefaultRequestHeaders.Authorization;
        Assert.NotNull(viaManagement.DefaultRequestHeaders.Authorization);
        foreach (var path in new[] { "/dm-groups", "/me/voice", "/openapi/v1.json", "/docs", "/" })
        {
            await Rest.AssertProblemAsync(await viaManagement.GetAsync(path), HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        // The same token works on the public port.
        Assert.Equal(HttpStatusCode.OK, (await user.Http.GetAsync("/me/voice")).StatusCode);
    }

    [Fact]
    public async Task Metrics_are_served_anonymously_on_the_management_port_as_Prometheus_text_with_DmVoice_metrics_after_traffic()
    {
        await using var a = fixture.NewUser("metered-a");
        await using var b = fixture.NewUser("metered-b");
        var device = await b.ConnectAsync();
        var dm = await a.CreateDmAsync(b);
        await a.JoinAsync(dm.Id);
        await device.WaitForAsync(VoiceEventNames.CallStarted);

        using var anonymous = new HttpClient();
        var text = await Eventually.GetAsync(
            async () =>
            {
                var response = await anonymous.GetAsync(Server.MetricsAddress);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
                return await response.Content.ReadAsStringAsync();
            },
            // The exporter caches a scrape briefly, so an earlier scrape (before this device connected) may come back first.
            t => t.Contains("dmvoice_calls_started", StringComparison.Ordinal)
                && System.Text.RegularExpressions.Regex.IsMatch(t, @"(?m)^dmvoice_gateway_connections(\{[^}]*\})? [1-9]")
                && t.Contains("dmvoice_gateway_events_delivered", StringComparison.Ordinal),
            "the DmVoice metrics in /metrics");

        Assert.Contains("# TYPE dmvoice_calls_started_total counter", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^dmvoice_calls_started_total(\{[^}]*\})? [1-9]", text);
        Assert.Matches(@"(?m)^dmvoice_gateway_connections(\{[^}]*\})? [1-9]", text);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    public static readonly IReadOnlyList<(string Method, string Path)> DocumentedOperations =
    [
        ("post", "/dm-groups"),
        ("get", "/dm-groups"),
        ("get", "/dm-groups/{dmGroupId}"),
        ("put", "/dm-groups/{dmGroupId}/members/{userId}"),
        ("delete", "/dm-groups/{dmGroupId}/members/{userId}"),
        ("get", "/dm-groups/{dmGroupId}/voice-presence"),
        ("post", "/dm-groups/{dmGroupId}/voice-presence/join"),
        ("delete", "/dm-groups/{dmGroupId}/voice-presence/leave"),
        ("put", "/dm-groups/{dmGroupId}/voice-presence/state"),
        ("get", "/me/voice"),
        ("post", "/dm-groups/{dmGroupId}/call/ring"),
        ("post", "/dm-groups/{dmGroupId}/call/decline"),
        ("post", "/dm-groups/{dmGroupId}/call/dismiss"),
        ("post", "/dm-groups/{dmGroupId}/call/stop-ringing"),
        ("get", "/dm-groups/{dmGroupId}/calls"),
        ("get", "/me/missed-calls"),
        ("post", "/dev/token"),
        ("get", "/me/status"),
        ("put", "/me/status"),
        ("get", "/me/blocks"),
        ("put", "/me/blocks/{userId}"),
        ("delete", "/me/blocks/{userId}"),
        ("get", "/dm-groups/{dmGroupId}/members"),
        ("get", "/dm-groups/{dmGroupId}/settings"),
        ("put", "/dm-groups/{dmGroupId}/settings"),
    ];

    [Fact]
    public async Task The_OpenAPI_document_lists_every_REST_operation_at_the_path_clients_call()
    {
        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };
        var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var paths = document.GetProperty("paths");

        var listed = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(op => (Method: op.Name, Path: p.Name)))
            .ToHashSet();
        var missing = DocumentedOperations.Where(op => !listed.Contains(op)).ToArray();
        Assert.True(missing.Length == 0, $"Missing from /openapi/v1.json: {string.Join(", ", missing)}; listed: {string.Join(", ", listed)}");

        // Every documented path answers at that exact spelling (no trailing-slash variants).
        Assert.All(listed.Where(op => op.Path.StartsWith("/dm-groups", StringComparison.Ordinal) || op.Path.StartsWith("/me", StringComparison.Ordinal)),
            op => Assert.DoesNotContain("//", op.Path + "/", StringComparison.Ordinal));
        Assert.All(listed, op => Assert.False(op.Path.Length > 1 && op.Path.EndsWith('/'), $"{op.Method} {op.Path} ends with '/'"));
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_problems_each_API_operation_can_answer_503_included()
    {
        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };
        var document = JsonDocument.Parse(await anonymous.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = document.GetProperty("paths");

        foreach (var (method, path) in DocumentedOperations.Where(op => op.Path != "/dev/token"))
        {
            var responses = paths.GetProperty(path).GetProperty(method).GetProperty("responses");
            foreach (var status in new[] { "401", "429", "500", "503" })
            {
                Assert.True(
                    responses.TryGetProperty(status, out var response) && response.GetProperty("content").TryGetProperty("application/problem+json", out _),
                    $"{method} {path} does not declare a {status} problem");
            }
        }

        // A member-only operation also declares that the DM may not be found.
        Assert.True(paths.GetProperty("/dm-groups/{dmGroupId}/voice-presence").GetProperty("get").GetProperty("responses").TryGetProperty("404", out _));
    }

    [Fact]
    public async Task The_API_reference_page_answers_200_HTML()
    {
        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress }; // follows redirects
        var response = await anonymous.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_routes_answer_a_404_not_found_problem_even_anonymously()
    {
        using var anonymous = new HttpClient { BaseAddress = Server.BaseAddress };
        var problem = await Rest.AssertProblemAsync(await anonymous.GetAsync("/no/such/thing"), HttpStatusCode.NotFound, ErrorCodes.NotFound);
        Assert.Contains("/no/such/thing", problem.Str("detail"), StringComparison.Ordinal);
    }
}
