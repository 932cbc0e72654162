namespace RestaurantOs.EndToEnd.Tests.Infrastructure;

/// <summary>Files of the repository the tests check against (the docs are part of the contract).</summary>
internal static class RepoFiles
{
    /// <summary>The path of <c>docs/{name}</c>, found by walking up from the test binaries.</summary>
    public static string Docs(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"docs/{name} not found above {AppContext.BaseDirectory}");
    }
}
