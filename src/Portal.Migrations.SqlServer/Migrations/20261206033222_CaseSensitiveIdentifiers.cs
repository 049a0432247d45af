using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.SqlServer.Migrations
{
    /// <inheritdoc />
    public partial class CaseSensitiveIdentifiers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "Path",
                table: "VersionIntegrityFlags",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024);

            migrationBuilder.AlterColumn<string>(
                name: "Path",
                table: "ValidationFindings",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: true,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024,
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Runs",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(200)",
                oldMaxLength: 200);

            migrationBuilder.AlterColumn<string>(
                name: "Key",
                table: "RunMetricPoints",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(128)",
                oldMaxLength: 128);

            migrationBuilder.AlterColumn<string>(
                name: "Path",
                table: "RangeEntries",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024);

            migrationBuilder.AlterColumn<string>(
                name: "AliasName",
                table: "PromotionRequests",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128);

            migrationBuilder.AlterColumn<string>(
                name: "RequiredSourceAlias",
                table: "PromotionPolicies",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: true,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128,
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "AliasName",
                table: "PromotionPolicies",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128);

            migrationBuilder.AlterColumn<string>(
                name: "Slug",
                table: "Projects",
                type: "varchar(64)",
                unicode: false,
                maxLength: 64,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "varchar(64)",
                oldUnicode: false,
                oldMaxLength: 64);

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Projects",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(200)",
                oldMaxLength: 200);

            migrationBuilder.AlterColumn<string>(
                name: "FirstPath",
                table: "ManifestRanges",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024);

            migrationBuilder.AlterColumn<string>(
                name: "ArtifactName",
                table: "Ingestions",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(128)",
                oldMaxLength: 128);

            migrationBuilder.AlterColumn<string>(
                name: "Path",
                table: "IngestionFiles",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024);

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Evaluations",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: true,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(128)",
                oldMaxLength: 128,
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "AutomationRules",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(200)",
                oldMaxLength: 200);

            migrationBuilder.AlterColumn<string>(
                name: "AliasName",
                table: "AutomationRules",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: true,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(128)",
                oldMaxLength: 128,
                oldNullable: true);

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Artifacts",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128);

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "ApiTokens",
                type: "nvarchar(100)",
                maxLength: 100,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "nvarchar(100)",
                oldMaxLength: 100);

            migrationBuilder.AlterColumn<string>(
                name: "AliasName",
                table: "AliasEvents",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128);

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Aliases",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                collation: "Latin1_General_100_BIN2_UTF8",
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "Path",
                table: "VersionIntegrityFlags",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Path",
                table: "ValidationFindings",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024,
                oldNullable: true,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Runs",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(200)",
                oldMaxLength: 200,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Key",
                table: "RunMetricPoints",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(128)",
                oldMaxLength: 128,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Path",
                table: "RangeEntries",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "AliasName",
                table: "PromotionRequests",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "RequiredSourceAlias",
                table: "PromotionPolicies",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128,
                oldNullable: true,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "AliasName",
                table: "PromotionPolicies",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Slug",
                table: "Projects",
                type: "varchar(64)",
                unicode: false,
                maxLength: 64,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "varchar(64)",
                oldUnicode: false,
                oldMaxLength: 64,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Projects",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(200)",
                oldMaxLength: 200,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "FirstPath",
                table: "ManifestRanges",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "ArtifactName",
                table: "Ingestions",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(128)",
                oldMaxLength: 128,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Path",
                table: "IngestionFiles",
                type: "nvarchar(1024)",
                maxLength: 1024,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(1024)",
                oldMaxLength: 1024,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Evaluations",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "nvarchar(128)",
                oldMaxLength: 128,
                oldNullable: true,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "AutomationRules",
                type: "nvarchar(200)",
                maxLength: 200,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(200)",
                oldMaxLength: 200,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "AliasName",
                table: "AutomationRules",
                type: "nvarchar(128)",
                maxLength: 128,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "nvarchar(128)",
                oldMaxLength: 128,
                oldNullable: true,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Artifacts",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "ApiTokens",
                type: "nvarchar(100)",
                maxLength: 100,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "nvarchar(100)",
                oldMaxLength: 100,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "AliasName",
                table: "AliasEvents",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128,
                oldCollation: "Latin1_General_100_BIN2_UTF8");

            migrationBuilder.AlterColumn<string>(
                name: "Name",
                table: "Aliases",
                type: "varchar(128)",
                unicode: false,
                maxLength: 128,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "varchar(128)",
                oldUnicode: false,
                oldMaxLength: 128,
                oldCollation: "Latin1_General_100_BIN2_UTF8");
        }
    }
}
