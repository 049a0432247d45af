using System.CommandLine;
using Portal.Client.Models;

namespace Portal.Cli.Commands;

internal static class ProjectsCommand
{
    public static Command Create(CliContext cli) =>
        new("projects", "List and create projects.") { List(cli), CreateProject(cli) };

    private static Command List(CliContext cli)
    {
        var json = CommonOptions.Json();
        var search = new Option<string>("--search") { Description = "Only projects whose slug or name contains this." };
        var command = new Command("ls", "Projects you are a member of.") { json, search };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var projects = await client.ListProjectsAsync(parse.GetValue(search), ct);
            if (parse.GetValue(json))
            {
                cli.WriteJson(projects);
                return PortalCli.ExitSuccess;
            }

            var table = new TextTable("SLUG", "NAME", "ROLE", "MEMBERS");
            foreach (var p in projects)
                table.Add(p.Slug, p.Name, p.Role, p.MemberCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
            table.Write(cli.Stdout);
            return PortalCli.ExitSuccess;
        });
        return command;
    }

    private static Command CreateProject(CliContext cli)
    {
        var slug = new Argument<string>("slug") { Description = "Lower-case letters, digits and '-', at most 64." };
        var name = new Option<string>("--name") { Description = "Display name (default: the slug)." };
        var description = new Option<string>("--description") { Description = "What the project is for." };
        var json = CommonOptions.Json();
        var command = new Command("create", "Create a project (you become its admin).") { slug, name, description, json };
        command.SetAction(async (parse, ct) =>
        {
            using var client = cli.CreateClient();
            var s = parse.GetRequiredValue(slug);
            var project = await client.CreateProjectAsync(new CreateProjectRequest(s, parse.GetValue(name) ?? s, parse.GetValue(description)), ct);
            if (parse.GetValue(json))
                cli.WriteJson(project);
            else
                cli.Stdout.WriteLine(project.Slug);
            return PortalCli.ExitSuccess;
        });
        return command;
    }
}
