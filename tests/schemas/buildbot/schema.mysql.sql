CREATE TABLE buildsets (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	external_idstring VARCHAR(256), 
	reason VARCHAR(256), 
	submitted_at INTEGER NOT NULL, 
	complete SMALLINT NOT NULL DEFAULT '0', 
	complete_at INTEGER, 
	results SMALLINT, 
	parent_buildid INTEGER, 
	parent_relationship TEXT, 
	rebuilt_buildid INTEGER, 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE INDEX buildsets_complete ON buildsets (complete);

CREATE INDEX buildsets_submitted_at ON buildsets (submitted_at);

CREATE TABLE changesources (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name TEXT NOT NULL, 
	name_hash VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE UNIQUE INDEX changesource_name_hash ON changesources (name_hash);

CREATE TABLE masters (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name TEXT NOT NULL, 
	name_hash VARCHAR(40) NOT NULL, 
	active INTEGER NOT NULL, 
	last_active INTEGER NOT NULL, 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE UNIQUE INDEX master_name_hashes ON masters (name_hash);

CREATE TABLE objects (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name VARCHAR(128) NOT NULL, 
	class_name VARCHAR(128) NOT NULL, 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE UNIQUE INDEX object_identity ON objects (name, class_name);

CREATE TABLE patches (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	patchlevel INTEGER NOT NULL, 
	patch_base64 TEXT NOT NULL, 
	patch_author TEXT NOT NULL, 
	patch_comment TEXT NOT NULL, 
	subdir TEXT, 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE TABLE projects (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name TEXT NOT NULL, 
	name_hash VARCHAR(40) NOT NULL, 
	slug VARCHAR(50) NOT NULL, 
	description TEXT, 
	description_format TEXT, 
	description_html TEXT, 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE UNIQUE INDEX projects_name_hash ON projects (name_hash);

CREATE TABLE schedulers (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name TEXT NOT NULL, 
	name_hash VARCHAR(40) NOT NULL, 
	enabled SMALLINT DEFAULT '1', 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE UNIQUE INDEX scheduler_name_hash ON schedulers (name_hash);

CREATE TABLE tags (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name TEXT NOT NULL, 
	name_hash VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE UNIQUE INDEX tag_name_hash ON tags (name_hash);

CREATE TABLE users (
	uid INTEGER NOT NULL AUTO_INCREMENT, 
	identifier VARCHAR(255) NOT NULL, 
	bb_username VARCHAR(128), 
	bb_password VARCHAR(128), 
	PRIMARY KEY (uid)
)CHARACTER SET utf8;

CREATE UNIQUE INDEX users_bb_user ON users (bb_username);

CREATE UNIQUE INDEX users_identifier ON users (identifier);

CREATE TABLE workers (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name VARCHAR(50) NOT NULL, 
	info TEXT NOT NULL, 
	paused SMALLINT NOT NULL DEFAULT '0', 
	pause_reason TEXT, 
	graceful SMALLINT NOT NULL DEFAULT '0', 
	PRIMARY KEY (id)
)CHARACTER SET utf8;

CREATE UNIQUE INDEX workers_name ON workers (name);

CREATE TABLE builders (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name TEXT NOT NULL, 
	description TEXT, 
	description_format TEXT, 
	description_html TEXT, 
	projectid INTEGER, 
	name_hash VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT fk_builders_projectid FOREIGN KEY(projectid) REFERENCES projects (id) ON DELETE SET NULL
)CHARACTER SET utf8;

CREATE UNIQUE INDEX builder_name_hash ON builders (name_hash);

CREATE INDEX builders_projectid ON builders (projectid);

CREATE TABLE buildset_properties (
	buildsetid INTEGER NOT NULL, 
	property_name VARCHAR(256) NOT NULL, 
	property_value TEXT NOT NULL, 
	FOREIGN KEY(buildsetid) REFERENCES buildsets (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX buildset_properties_buildsetid ON buildset_properties (buildsetid);

CREATE TABLE changesource_masters (
	changesourceid INTEGER NOT NULL, 
	masterid INTEGER NOT NULL, 
	PRIMARY KEY (changesourceid), 
	FOREIGN KEY(changesourceid) REFERENCES changesources (id) ON DELETE CASCADE, 
	FOREIGN KEY(masterid) REFERENCES masters (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE TABLE codebases (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	projectid INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	name_hash VARCHAR(40) NOT NULL, 
	slug VARCHAR(50) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(projectid) REFERENCES projects (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX codebases_projects_name_hash ON codebases (projectid, name_hash);

CREATE TABLE connected_workers (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	masterid INTEGER NOT NULL, 
	workerid INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(masterid) REFERENCES masters (id) ON DELETE CASCADE, 
	FOREIGN KEY(workerid) REFERENCES workers (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX connected_workers_identity ON connected_workers (masterid, workerid);

CREATE INDEX connected_workers_masterid ON connected_workers (masterid);

CREATE INDEX connected_workers_workers ON connected_workers (workerid);

CREATE TABLE object_state (
	objectid INTEGER NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	value_json TEXT NOT NULL, 
	FOREIGN KEY(objectid) REFERENCES objects (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX name_per_object ON object_state (objectid, name);

CREATE TABLE scheduler_masters (
	schedulerid INTEGER NOT NULL, 
	masterid INTEGER NOT NULL, 
	PRIMARY KEY (schedulerid), 
	FOREIGN KEY(schedulerid) REFERENCES schedulers (id) ON DELETE CASCADE, 
	FOREIGN KEY(masterid) REFERENCES masters (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE TABLE sourcestamps (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	ss_hash VARCHAR(40) NOT NULL, 
	branch VARCHAR(256), 
	revision VARCHAR(256), 
	patchid INTEGER, 
	repository VARCHAR(512) NOT NULL DEFAULT '', 
	codebase VARCHAR(256) NOT NULL DEFAULT '', 
	project VARCHAR(512) NOT NULL DEFAULT '', 
	created_at INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(patchid) REFERENCES patches (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX sourcestamps_ss_hash_key ON sourcestamps (ss_hash);

CREATE TABLE users_info (
	uid INTEGER NOT NULL, 
	attr_type VARCHAR(128) NOT NULL, 
	attr_data VARCHAR(128) NOT NULL, 
	FOREIGN KEY(uid) REFERENCES users (uid) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX users_info_attrs ON users_info (attr_type, attr_data);

CREATE INDEX users_info_uid ON users_info (uid);

CREATE UNIQUE INDEX users_info_uid_attr_type ON users_info (uid, attr_type);

CREATE TABLE builder_masters (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	builderid INTEGER NOT NULL, 
	masterid INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(builderid) REFERENCES builders (id) ON DELETE CASCADE, 
	FOREIGN KEY(masterid) REFERENCES masters (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX builder_masters_builderid ON builder_masters (builderid);

CREATE UNIQUE INDEX builder_masters_identity ON builder_masters (builderid, masterid);

CREATE INDEX builder_masters_masterid ON builder_masters (masterid);

CREATE TABLE builders_tags (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	builderid INTEGER NOT NULL, 
	tagid INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(builderid) REFERENCES builders (id) ON DELETE CASCADE, 
	FOREIGN KEY(tagid) REFERENCES tags (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX builders_tags_builderid ON builders_tags (builderid);

CREATE UNIQUE INDEX builders_tags_unique ON builders_tags (builderid, tagid);

CREATE TABLE buildrequests (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	buildsetid INTEGER NOT NULL, 
	builderid INTEGER NOT NULL, 
	priority INTEGER NOT NULL DEFAULT '0', 
	complete INTEGER DEFAULT '0', 
	results SMALLINT, 
	submitted_at INTEGER NOT NULL, 
	complete_at INTEGER, 
	waited_for SMALLINT DEFAULT '0', 
	PRIMARY KEY (id), 
	FOREIGN KEY(buildsetid) REFERENCES buildsets (id) ON DELETE CASCADE, 
	FOREIGN KEY(builderid) REFERENCES builders (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX buildrequests_builderid ON buildrequests (builderid);

CREATE INDEX buildrequests_buildsetid ON buildrequests (buildsetid);

CREATE INDEX buildrequests_complete ON buildrequests (complete);

CREATE TABLE builds (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	number INTEGER NOT NULL, 
	builderid INTEGER NOT NULL, 
	buildrequestid INTEGER NOT NULL, 
	workerid INTEGER, 
	masterid INTEGER NOT NULL, 
	started_at INTEGER NOT NULL, 
	complete_at INTEGER, 
	locks_duration_s INTEGER NOT NULL, 
	state_string TEXT NOT NULL, 
	results INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(builderid) REFERENCES builders (id) ON DELETE CASCADE, 
	FOREIGN KEY(workerid) REFERENCES workers (id) ON DELETE SET NULL, 
	FOREIGN KEY(masterid) REFERENCES masters (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX builds_buildrequestid ON builds (buildrequestid);

CREATE INDEX builds_masterid ON builds (masterid);

CREATE UNIQUE INDEX builds_number ON builds (builderid, number);

CREATE INDEX builds_workerid ON builds (workerid);

CREATE TABLE buildset_sourcestamps (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	buildsetid INTEGER NOT NULL, 
	sourcestampid INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(buildsetid) REFERENCES buildsets (id) ON DELETE CASCADE, 
	FOREIGN KEY(sourcestampid) REFERENCES sourcestamps (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX buildset_sourcestamps_buildsetid ON buildset_sourcestamps (buildsetid);

CREATE UNIQUE INDEX buildset_sourcestamps_unique ON buildset_sourcestamps (buildsetid, sourcestampid);

CREATE TABLE changes (
	changeid INTEGER NOT NULL AUTO_INCREMENT, 
	author VARCHAR(255) NOT NULL, 
	committer VARCHAR(255), 
	comments TEXT NOT NULL, 
	branch VARCHAR(255), 
	revision VARCHAR(255), 
	revlink VARCHAR(256), 
	when_timestamp INTEGER NOT NULL, 
	category VARCHAR(255), 
	repository VARCHAR(512) NOT NULL DEFAULT '', 
	codebase VARCHAR(256) NOT NULL DEFAULT '', 
	project VARCHAR(512) NOT NULL DEFAULT '', 
	sourcestampid INTEGER NOT NULL, 
	parent_changeids INTEGER, 
	PRIMARY KEY (changeid), 
	FOREIGN KEY(sourcestampid) REFERENCES sourcestamps (id) ON DELETE CASCADE, 
	FOREIGN KEY(parent_changeids) REFERENCES changes (changeid) ON DELETE SET NULL
)CHARACTER SET utf8;

CREATE INDEX changes_author ON changes (author);

CREATE INDEX changes_branch ON changes (branch);

CREATE INDEX changes_category ON changes (category);

CREATE INDEX changes_revision ON changes (revision);

CREATE INDEX changes_sourcestampid ON changes (sourcestampid);

CREATE INDEX changes_when_timestamp ON changes (when_timestamp);

CREATE TABLE codebase_commits (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	codebaseid INTEGER NOT NULL, 
	author VARCHAR(255) NOT NULL, 
	committer VARCHAR(255), 
	comments TEXT NOT NULL, 
	when_timestamp INTEGER NOT NULL, 
	revision VARCHAR(70) NOT NULL, 
	parent_commitid INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(codebaseid) REFERENCES codebases (id) ON DELETE CASCADE, 
	FOREIGN KEY(parent_commitid) REFERENCES codebase_commits (id) ON DELETE SET NULL
)CHARACTER SET utf8;

CREATE UNIQUE INDEX codebase_commits_unique ON codebase_commits (codebaseid, revision);

CREATE TABLE test_code_paths (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	builderid INTEGER NOT NULL, 
	path TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(builderid) REFERENCES builders (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX test_code_paths_path ON test_code_paths (builderid, path(255));

CREATE TABLE test_names (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	builderid INTEGER NOT NULL, 
	name TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(builderid) REFERENCES builders (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX test_names_name ON test_names (builderid, name(255));

CREATE TABLE build_data (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	buildid INTEGER NOT NULL, 
	name VARCHAR(256) NOT NULL, 
	value LONGBLOB NOT NULL, 
	length INTEGER NOT NULL, 
	source VARCHAR(256) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(buildid) REFERENCES builds (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX build_data_buildid_name ON build_data (buildid, name);

CREATE TABLE build_properties (
	buildid INTEGER NOT NULL, 
	name VARCHAR(256) NOT NULL, 
	value TEXT NOT NULL, 
	source VARCHAR(256) NOT NULL, 
	FOREIGN KEY(buildid) REFERENCES builds (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX build_properties_buildid ON build_properties (buildid);

CREATE TABLE buildrequest_claims (
	brid INTEGER NOT NULL, 
	masterid INTEGER NOT NULL, 
	claimed_at INTEGER NOT NULL, 
	FOREIGN KEY(brid) REFERENCES buildrequests (id) ON DELETE CASCADE, 
	FOREIGN KEY(masterid) REFERENCES masters (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX buildrequest_claims_brids ON buildrequest_claims (brid);

CREATE INDEX ix_buildrequest_claims_masterid ON buildrequest_claims (masterid);

CREATE TABLE change_files (
	changeid INTEGER NOT NULL, 
	filename VARCHAR(1024) NOT NULL, 
	FOREIGN KEY(changeid) REFERENCES changes (changeid) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX change_files_changeid ON change_files (changeid);

CREATE TABLE change_properties (
	changeid INTEGER NOT NULL, 
	property_name VARCHAR(256) NOT NULL, 
	property_value TEXT NOT NULL, 
	FOREIGN KEY(changeid) REFERENCES changes (changeid) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX change_properties_changeid ON change_properties (changeid);

CREATE TABLE change_users (
	changeid INTEGER NOT NULL, 
	uid INTEGER NOT NULL, 
	FOREIGN KEY(changeid) REFERENCES changes (changeid) ON DELETE CASCADE, 
	FOREIGN KEY(uid) REFERENCES users (uid) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX change_users_changeid ON change_users (changeid);

CREATE TABLE codebase_branches (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	codebaseid INTEGER NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	name_hash VARCHAR(40) NOT NULL, 
	commitid INTEGER, 
	last_timestamp INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(codebaseid) REFERENCES codebases (id) ON DELETE CASCADE, 
	FOREIGN KEY(commitid) REFERENCES codebase_commits (id) ON DELETE SET NULL
)CHARACTER SET utf8;

CREATE UNIQUE INDEX codebase_branches_unique ON codebase_branches (codebaseid, name_hash);

CREATE TABLE configured_workers (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	buildermasterid INTEGER NOT NULL, 
	workerid INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(buildermasterid) REFERENCES builder_masters (id) ON DELETE CASCADE, 
	FOREIGN KEY(workerid) REFERENCES workers (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX configured_workers_buildmasterid ON configured_workers (buildermasterid);

CREATE UNIQUE INDEX configured_workers_identity ON configured_workers (buildermasterid, workerid);

CREATE INDEX configured_workers_workers ON configured_workers (workerid);

CREATE TABLE scheduler_changes (
	schedulerid INTEGER NOT NULL, 
	changeid INTEGER NOT NULL, 
	important INTEGER, 
	FOREIGN KEY(schedulerid) REFERENCES schedulers (id) ON DELETE CASCADE, 
	FOREIGN KEY(changeid) REFERENCES changes (changeid) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX scheduler_changes_changeid ON scheduler_changes (changeid);

CREATE INDEX scheduler_changes_schedulerid ON scheduler_changes (schedulerid);

CREATE UNIQUE INDEX scheduler_changes_unique ON scheduler_changes (schedulerid, changeid);

CREATE TABLE steps (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	number INTEGER NOT NULL, 
	name VARCHAR(50) NOT NULL, 
	buildid INTEGER NOT NULL, 
	started_at INTEGER, 
	locks_acquired_at INTEGER, 
	complete_at INTEGER, 
	state_string TEXT NOT NULL, 
	results INTEGER, 
	urls_json TEXT NOT NULL, 
	hidden SMALLINT NOT NULL DEFAULT '0', 
	PRIMARY KEY (id), 
	FOREIGN KEY(buildid) REFERENCES builds (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX steps_name ON steps (buildid, name);

CREATE UNIQUE INDEX steps_number ON steps (buildid, number);

CREATE INDEX steps_started_at ON steps (started_at);

CREATE TABLE logs (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	name TEXT NOT NULL, 
	slug VARCHAR(50) NOT NULL, 
	stepid INTEGER NOT NULL, 
	complete SMALLINT NOT NULL, 
	num_lines INTEGER NOT NULL, 
	type VARCHAR(1) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(stepid) REFERENCES steps (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE UNIQUE INDEX logs_slug ON logs (stepid, slug);

CREATE TABLE test_result_sets (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	builderid INTEGER NOT NULL, 
	buildid INTEGER NOT NULL, 
	stepid INTEGER NOT NULL, 
	description TEXT, 
	category TEXT NOT NULL, 
	value_unit TEXT NOT NULL, 
	tests_passed INTEGER, 
	tests_failed INTEGER, 
	complete SMALLINT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(builderid) REFERENCES builders (id) ON DELETE CASCADE, 
	FOREIGN KEY(buildid) REFERENCES builds (id) ON DELETE CASCADE, 
	FOREIGN KEY(stepid) REFERENCES steps (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE TABLE logchunks (
	logid INTEGER NOT NULL, 
	first_line INTEGER NOT NULL, 
	last_line INTEGER NOT NULL, 
	content BLOB(65536), 
	compressed SMALLINT NOT NULL, 
	FOREIGN KEY(logid) REFERENCES logs (id) ON DELETE CASCADE
)CHARACTER SET utf8;

CREATE INDEX logchunks_firstline ON logchunks (logid, first_line);

CREATE INDEX logchunks_lastline ON logchunks (logid, last_line);

CREATE TABLE test_results (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	builderid INTEGER NOT NULL, 
	test_result_setid INTEGER NOT NULL, 
	test_nameid INTEGER, 
	test_code_pathid INTEGER, 
	line INTEGER, 
	duration_ns INTEGER, 
	value TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(builderid) REFERENCES builders (id) ON DELETE CASCADE, 
	FOREIGN KEY(test_result_setid) REFERENCES test_result_sets (id) ON DELETE CASCADE, 
	FOREIGN KEY(test_nameid) REFERENCES test_names (id) ON DELETE CASCADE, 
	FOREIGN KEY(test_code_pathid) REFERENCES test_code_paths (id) ON DELETE CASCADE
)CHARACTER SET utf8;

