using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class RegistryCollections : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Kind",
                table: "Projects",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "RegistryCollections",
                columns: table => new
                {
                    ProjectId = table.Column<Guid>(type: "uuid", nullable: false),
                    ArtifactId = table.Column<Guid>(type: "uuid", nullable: false),
                    Type = table.Column<string>(type: "character varying(64)", unicode: false, maxLength: 64, nullable: false),
                    Card = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    RequiredFieldsJson = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    FieldsJson = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RegistryCollections", x => x.ProjectId);
                    table.ForeignKey(
                        name: "FK_RegistryCollections_Projects_ProjectId",
                        column: x => x.ProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "RegistryLinks",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    CollectionProjectId = table.Column<Guid>(type: "uuid", nullable: false),
                    CollectionVersionId = table.Column<Guid>(type: "uuid", nullable: false),
                    SourceProjectId = table.Column<Guid>(type: "uuid", nullable: false),
                    SourceArtifactId = table.Column<Guid>(type: "uuid", nullable: false),
                    SourceVersionId = table.Column<Guid>(type: "uuid", nullable: false),
                    LinkedById = table.Column<string>(type: "text", nullable: true),
                    LinkedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Comment = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    UnlinkedById = table.Column<string>(type: "text", nullable: true),
                    UnlinkedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RegistryLinks", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RegistryLinks_Projects_CollectionProjectId",
                        column: x => x.CollectionProjectId,
                        principalTable: "Projects",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Projects_Kind",
                table: "Projects",
                column: "Kind");

            migrationBuilder.CreateIndex(
                name: "IX_RegistryCollections_ArtifactId",
                table: "RegistryCollections",
                column: "ArtifactId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RegistryCollections_Type",
                table: "RegistryCollections",
                column: "Type");

            migrationBuilder.CreateIndex(
                name: "IX_RegistryLinks_CollectionProjectId_LinkedAt",
                table: "RegistryLinks",
                columns: new[] { "CollectionProjectId", "LinkedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RegistryLinks_CollectionVersionId",
                table: "RegistryLinks",
                column: "CollectionVersionId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RegistryLinks_SourceVersionId",
                table: "RegistryLinks",
                column: "SourceVersionId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RegistryCollections");

            migrationBuilder.DropTable(
                name: "RegistryLinks");

            migrationBuilder.DropIndex(
                name: "IX_Projects_Kind",
                table: "Projects");

            migrationBuilder.DropColumn(
                name: "Kind",
                table: "Projects");
        }
    }
}
