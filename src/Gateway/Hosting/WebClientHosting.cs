using Microsoft.Extensions.FileProviders;

namespace DmVoice.Gateway.Hosting;

/// <summary>
/// Serves the built reference web client (clients/web) at <c>/</c>, anonymously. Only files that
/// exist are served, and only where no endpoint matched, so the API, its authorization and its
/// 404 problems are unchanged.
/// </summary>
internal static class WebClientHosting
{
    private const string SourceTreeDist = "clients/web/dist";

    public static WebApplication UseWebClient(this WebApplication app, GatewayOptions options)
    {
        var root = Locate(options.WebClientPath);
        if (root is null)
        {
            app.Logger.LogInformation(
                "No built web client in {Dist} (build it: npm ci --prefix clients/web && npm run build --prefix clients/web); / is not served.", SourceTreeDist);
            return app;
        }

        app.Logger.LogInformation("Serving the web client from {Root}", root);
        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                // Bundled assets carry a content hash in their names; the page that names them must be re-checked.
                context.Context.Response.Headers.CacheControl = context.Context.Request.Path.StartsWithSegments("/assets")
                    ? "public, max-age=31536000, immutable"
                    : "no-cache";
            },
        });
        return app;
    }

    /// <summary>The configured folder, or clients/web/dist above the binaries; null when there is no index.html.</summary>
    internal static string? Locate(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            var full = Path.GetFullPath(configured);
            return File.Exists(Path.Combine(full, "index.html"))
                ? full
                : throw new InvalidOperationException($"Gateway:WebClientPath '{full}' has no index.html.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, SourceTreeDist);
            if (File.Exists(Path.Combine(candidate, "index.html")))
            {
                return candidate;
            }
        }

        return null;
    }
}
