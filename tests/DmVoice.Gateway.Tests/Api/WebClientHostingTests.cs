using System.Net;

namespace DmVoice.Gateway.Tests.Api;

/// <summary>
/// The built web client is served at / to anyone, next to an API whose authorization and 404
/// problems are unchanged. Production, so there is no /dev/token to lean on.
/// </summary>
public sealed class WebClientHostingTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("dmvoice-web-").FullName;
    private GatewayServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root, "assets"));
        await File.WriteAllTextAsync(Path.Combine(_root, "index.html"), "<!doctype html><title>web client marker</title>");
        await File.WriteAllTextAsync(Path.Combine(_root, "assets", "app-1a2b3c.js"), "console.log('app');");
        _server = await GatewayServer.StartAsync(
            s =>
            {
                s["Auth:EnableDevTokens"] = "false";
                s["Gateway:WebClientPath"] = _root;
            },
            environment: "Production");
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task The_page_and_its_assets_are_served_without_a_token()
    {
        using var anonymous = new HttpClient { BaseAddress = _server.BaseAddress };

        var page = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("web client marker", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(page.Headers.CacheControl?.NoCache, "the page must be re-checked, it names the current assets");

        var asset = await anonymous.GetAsync("/assets/app-1a2b3c.js");
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Contains("immutable", asset.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/assets/missing.js")]
    [InlineData("GET", "/no-such-page")]
    [InlineData("POST", "/dev/token")]
    public async Task Anything_else_unknown_is_still_a_404_problem_for_anonymous_callers(string method, string path)
    {
        using var anonymous = new HttpClient { BaseAddress = _server.BaseAddress };
        await Rest.AssertProblemAsync(await anonymous.SendAsync(Rest.Request(method, path)), HttpStatusCode.NotFound, ErrorCodes.NotFound);
    }

    [Theory]
    [InlineData("GET", "/dm-groups")]
    [InlineData("GET", "/me/voice")]
    public async Task The_API_still_needs_a_token(string method, string path)
    {
        using var anonymous = new HttpClient { BaseAddress = _server.BaseAddress };
        await Rest.AssertProblemAsync(await anonymous.SendAsync(Rest.Request(method, path)), HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized);
    }

    [Fact]
    public void A_configured_folder_without_index_html_refuses_to_start()
    {
        var empty = Directory.CreateTempSubdirectory("dmvoice-web-empty-").FullName;
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => GatewayApp.Build(
                ["--urls", "http://127.0.0.1:0", $"--Auth:SigningKey={GatewayServer.SigningKey}", $"--Gateway:WebClientPath={empty}"]));
            Assert.Contains("Gateway:WebClientPath", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }
}
